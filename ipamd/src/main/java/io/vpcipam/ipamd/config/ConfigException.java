package io.vpcipam.ipamd.config;

import java.util.List;

/** The configuration is wrong; the message lists every problem, one per line, each naming its variable. */
public final class ConfigException extends Exception {

    private final List<String> problems;

    public ConfigException(List<String> problems) {
        super("invalid configuration:\n  " + String.join("\n  ", problems));
        this.problems = List.copyOf(problems);
    }

    /** Each problem, naming the variable and its bad value. */
    public List<String> problems() {
        return problems;
    }
}
