package dev.relay.config;

/** A configuration that cannot be used; the message names the file, the field and what is wrong. */
public final class ConfigException extends Exception {
    public ConfigException(String message) {
        super(message);
    }
}
