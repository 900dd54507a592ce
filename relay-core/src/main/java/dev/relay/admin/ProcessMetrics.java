package dev.relay.admin;

import com.sun.management.OperatingSystemMXBean;
import com.sun.management.UnixOperatingSystemMXBean;
import dev.relay.net.Threads;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The process metrics every Prometheus exporter is expected to have (the names client libraries use), read from the
 * JVM and from /proc at scrape time.
 */
final class ProcessMetrics {
    private static final Path STATUS = Path.of("/proc/self/status");

    private ProcessMetrics() {}

    static void write(MetricsText m) {
        long[] status = status();
        if (status[0] >= 0) {
            m.family("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.")
                    .sample("process_resident_memory_bytes", status[0]);
        }
        if (status[1] >= 0) {
            m.family("process_threads", "gauge", "Operating system threads in this process.")
                    .sample("process_threads", status[1]);
        }
        if (ManagementFactory.getOperatingSystemMXBean() instanceof UnixOperatingSystemMXBean unix) {
            m.family("process_open_fds", "gauge", "Number of open file descriptors.")
                    .sample("process_open_fds", unix.getOpenFileDescriptorCount());
            m.family("process_max_fds", "gauge", "Maximum number of open file descriptors.")
                    .sample("process_max_fds", unix.getMaxFileDescriptorCount());
        }
        if (ManagementFactory.getOperatingSystemMXBean() instanceof OperatingSystemMXBean os) {
            m.family("process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.")
                    .sample("process_cpu_seconds_total", os.getProcessCpuTime() / 1e9);
        }
        m.family("process_start_time_seconds", "gauge", "Start time of the process since unix epoch in seconds.")
                .sample(
                        "process_start_time_seconds",
                        ManagementFactory.getRuntimeMXBean().getStartTime() / 1e3);
        m.family("relay_threads", "gauge", "Threads relay runs now (virtual ones included): sessions, links, accepts.")
                .sample("relay_threads", Threads.live());
    }

    /** VmRSS in bytes and Threads from /proc/self/status; -1 where unknown. */
    private static long[] status() {
        long[] out = {-1, -1};
        try {
            for (String line : Files.readAllLines(STATUS)) {
                if (line.startsWith("VmRSS:")) {
                    out[0] = Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                } else if (line.startsWith("Threads:")) {
                    out[1] = Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException | NumberFormatException e) {
            // Not Linux: the JVM's own figures above still stand.
        }
        return out;
    }
}
