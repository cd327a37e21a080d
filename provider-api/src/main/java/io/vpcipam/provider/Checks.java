package io.vpcipam.provider;

/** Argument checks for the records' compact constructors. */
final class Checks {

    private Checks() {
    }

    static void notNull(Object value, String what) {
        if (value == null) {
            throw new IllegalArgumentException(what + " is missing");
        }
    }

    static void notBlank(String value, String what) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(what + " is missing");
        }
    }
}
