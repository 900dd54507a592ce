package dev.relay.protocol;

import java.util.regex.Pattern;

/**
 * What a route's or an inner's name may be. Names travel in frames and appear in every log line about a session, so
 * they are short and plain: a peer's name can neither forge nor break a line.
 */
public final class Names {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

    private Names() {}

    /** Returns {@code name}, or throws an IllegalArgumentException that quotes it and names the field. */
    public static String check(String field, String name) {
        if (name == null) {
            throw new IllegalArgumentException(field + " is missing");
        }
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException(field + " \"" + Frames.printable(name)
                    + "\" must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit");
        }
        return name;
    }
}
