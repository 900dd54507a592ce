package dev.relay.config;

import java.util.Objects;

/** The shared secret. It is never printed: {@link #toString()} masks it. */
public record Token(String value) {
    /** Shortest token accepted; shorter ones are guessable. */
    public static final int MIN_LENGTH = 16;

    public Token {
        Objects.requireNonNull(value, "token");
        if (value.length() < MIN_LENGTH) {
            throw new IllegalArgumentException(
                    "token must be at least " + MIN_LENGTH + " characters, got " + value.length());
        }
    }

    @Override
    public String toString() {
        return "Token[MASKED]";
    }
}
