package io.vpcipam.ipamd;

/**
 * ipamd cannot start with what a setting names (a state dir it cannot write, a socket path that is a regular file,
 * a socket another ipamd serves). The message is one line naming the setting and its value; the process prints it
 * and exits 2, like a bad configuration value.
 */
public final class StartupException extends Exception {

    /** {@code setting='value': why}. */
    public StartupException(String setting, Object value, String why) {
        super(setting + "='" + value + "': " + why);
    }

    /** As {@link #StartupException(String, Object, String)}, keeping the failure that showed it. */
    public StartupException(String setting, Object value, String why, Throwable cause) {
        super(setting + "='" + value + "': " + why, cause);
    }
}
