package io.vpcipam.protocol;

import java.io.IOException;

/**
 * Text that is not the JSON {@link Json} reads: the message says what is wrong and where (a character offset),
 * never echoing more than a few characters of the input. An {@link IOException}, like the other failures of
 * reading what came in.
 */
public final class JsonException extends IOException {

    private static final long serialVersionUID = 1L;

    /** A JSON syntax or limit error; {@code message} names the problem and its offset. */
    public JsonException(String message) {
        super(message);
    }
}
