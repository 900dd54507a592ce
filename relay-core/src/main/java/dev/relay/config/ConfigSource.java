package dev.relay.config;

/**
 * Where a running outer or inner re-reads its configuration on a reload: the file it started from, read again in
 * full and checked like at startup. An embedding program may pass its own.
 */
public interface ConfigSource<T> {
    /** The whole configuration as it is now, or why it cannot be used. */
    T load() throws ConfigException;

    /** What to call it in /status and log lines: usually the file's path. */
    String describe();
}
