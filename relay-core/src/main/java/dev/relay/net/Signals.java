package dev.relay.net;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

/** SIGHUP, the Unix way to ask a daemon to read its configuration again; for the programs, not for embedding. */
public final class Signals {
    private static final Logger LOG = LoggerFactory.getLogger(Signals.class);

    private Signals() {}

    /** Runs {@code reload} on a {@code reload} thread for each SIGHUP; does nothing where the JVM cannot catch it. */
    public static void onHangup(Runnable reload) {
        try {
            Signal.handle(new Signal("HUP"), signal -> Threads.start("reload", reload));
        } catch (IllegalArgumentException | UnsupportedOperationException e) {
            LOG.warn(
                    "SIGHUP cannot be caught here ({}); reload with POST /reload on the admin endpoint",
                    e.getMessage());
        }
    }
}
