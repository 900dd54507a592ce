package dev.relay.net;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

/** SIGHUP, the Unix way to ask a daemon to read its configuration again; for the programs, not for embedding. */
public final class Signals {
    private static final Logger LOG = LoggerFactory.getLogger(Signals.class);

    private Signals() {}

    /**
     * Catches SIGHUP now, before the program starts, and from then on runs what the returned reference holds on a
     * {@code reload} thread for each one; the program sets it once it has started. Caught early because the JVM's
     * default for SIGHUP ends the process, and a supervisor may send one as soon as the start-up line appears; one that
     * comes while starting changes nothing, since the file is being read then. Does nothing where the JVM cannot catch
     * it.
     */
    public static AtomicReference<Runnable> reloadOnHangup() {
        AtomicReference<Runnable> reload = new AtomicReference<>();
        onHangup(() -> {
            Runnable r = reload.get();
            if (r != null) {
                r.run();
            }
        });
        return reload;
    }

    private static void onHangup(Runnable reload) {
        if (hangupIgnored()) {
            // Started with SIGHUP ignored (nohup does that): the JVM keeps it so, and a reload signal would never come.
            LOG.warn("SIGHUP cannot be caught here (it was ignored when this process started, as under nohup); reload"
                    + " with POST /reload on the admin endpoint");
            return;
        }
        try {
            Signal.handle(new Signal("HUP"), signal -> Threads.start("reload", reload));
        } catch (IllegalArgumentException | UnsupportedOperationException e) {
            LOG.warn(
                    "SIGHUP cannot be caught here ({}); reload with POST /reload on the admin endpoint",
                    e.getMessage());
        }
    }

    /** Whether this process inherited SIGHUP as ignored; Linux only (/proc), false where that cannot be read. */
    static boolean hangupIgnored() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("SigIgn:")) {
                    // A hexadecimal mask with bit n-1 for signal n; SIGHUP is 1.
                    return (Long.parseUnsignedLong(line.substring(7).trim(), 16) & 1) != 0;
                }
            }
        } catch (IOException | RuntimeException e) {
            // Not Linux, or no /proc: assume the handler works.
        }
        return false;
    }
}
