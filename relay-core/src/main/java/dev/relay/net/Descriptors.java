package dev.relay.net;

import com.sun.management.UnixOperatingSystemMXBean;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
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

    private static final Path PROC_LIMITS = Path.of("/proc/self/limits");
    private static final String OPEN_FILES = "Max open files";

    private Descriptors() {}

    /**
     * Logs a warning when the process may open fewer files than {@code sessions} (two descriptors each) plus
     * {@code others} plus {@link #RESERVE}; {@code why} names the setting, e.g. {@code "tuning.maxSessions 8000"}.
     */
    public static void check(Logger log, long sessions, long others, String why) {
        long needed = 2 * sessions + others + RESERVE;
        limit().ifPresent(limit -> shortfall(limit, needed, why).ifPresent(log::warn));
    }

    /**
     * The process's limit on open files, when the platform says: the soft limit in /proc/self/limits, else the JVM's
     * figure. Linux reads the file, because the JVM's bean probes the cgroups on first use, with regular expressions
     * and lambdas, and the process would keep those classes and what they built for its life for one number read at
     * start.
     */
    public static OptionalLong limit() {
        OptionalLong fromProc = softLimit(PROC_LIMITS);
        if (fromProc.isPresent()) {
            return fromProc;
        }
        if (ManagementFactory.getOperatingSystemMXBean() instanceof UnixOperatingSystemMXBean unix) {
            return OptionalLong.of(unix.getMaxFileDescriptorCount());
        }
        return OptionalLong.empty();
    }

    /** The soft limit on open files in {@code limits}, a file laid out as /proc/self/limits; empty if it has none. */
    static OptionalLong softLimit(Path limits) {
        try {
            for (String line : Files.readAllLines(limits)) {
                if (line.startsWith(OPEN_FILES)) {
                    String soft = line.substring(OPEN_FILES.length()).trim().split("\\s+")[0];
                    return OptionalLong.of(soft.equals("unlimited") ? Long.MAX_VALUE : Long.parseLong(soft));
                }
            }
        } catch (IOException | NumberFormatException e) {
            // Not Linux, or a layout this does not know: the JVM's figure instead.
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
