package dev.relay.config;

import java.util.Objects;

/** The shared secret. It is never printed: {@link #toString()} masks it. */
public record Token(String value) {
    /** Shortest token accepted; shorter ones are guessable. */
    public static final int MIN_LENGTH = 16;
    /**
     * How the sample routes.json's placeholder starts. A deployment that keeps it would let anyone who has read the
     * sample log in as its inner, so no token starting with this is accepted.
     */
    public static final String PLACEHOLDER_PREFIX = "change-me";
    /** How to make a good token, for the messages that refuse a bad one. */
    public static final String HOW_TO_GENERATE = "head -c 32 /dev/urandom | base64";

    public Token {
        Objects.requireNonNull(value, "token");
        if (value.length() < MIN_LENGTH) {
            throw new IllegalArgumentException("must be at least " + MIN_LENGTH + " characters, got " + value.length()
                    + "; generate one with: " + HOW_TO_GENERATE);
        }
        if (value.startsWith(PLACEHOLDER_PREFIX)) {
            throw new IllegalArgumentException("is the sample's placeholder (it starts with \"" + PLACEHOLDER_PREFIX
                    + "\"), which anyone could use; generate a secret with: " + HOW_TO_GENERATE);
        }
    }

    @Override
    public String toString() {
        return "Token[MASKED]";
    }
}
