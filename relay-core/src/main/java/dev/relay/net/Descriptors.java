package dev.relay.net;

import com.sun.management.UnixOperatingSystemMXBean;
import java.lang.management.ManagementFactory;
import java.util.Optional;
import java.util.OptionalLong;
import org.slf4j.Logger;

/**
 * The process's open-file limit against what the session limits need. Each session holds two descriptors per
 * process; a limit below that makes the busiest moments fail at accept, one line per attempt, instead of at start
 * with one clear line.
 */
public final class Descriptors {
    /** Descriptors a process needs besides its sessions: jars, logs, listening sockets, the JVM's own. */
    public static final int RESERVE = 64;

    private Descriptors() {}

    /**
     * Logs a warning when the process may open fewer files than {@code sessions} (two descriptors each) plus
     * {@code others} plus {@link #RESERVE}; {@code why} names the setting, e.g. {@code "tuning.maxSessions 8000"}.
     */
    public static void check(Logger log, long sessions, long others, String why) {
        long needed = 2 * sessions + others + RESERVE;
        limit().ifPresent(limit -> shortfall(limit, needed, why).ifPresent(log::warn));
    }

    /** The process's limit on open files, when the platform says. */
    public static OptionalLong limit() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof UnixOperatingSystemMXBean unix) {
            return OptionalLong.of(unix.getMaxFileDescriptorCount());
        }
        return OptionalLong.empty();
    }

    /**
     * A warning when {@code limit} is below {@code needed}, saying what to set; {@code why} says what needs them.
     */
    public static Optional<String> shortfall(long limit, long needed, String why) {
        if (limit >= needed) {
            return Optional.empty();
        }
        return Optional.of("the open-file limit is " + limit + " descriptors, but " + why + " needs about " + needed
                + ": raise it (LimitNOFILE=" + needed + " in the systemd unit, or ulimit -n " + needed
                + "), or lower the session limits");
    }
}
