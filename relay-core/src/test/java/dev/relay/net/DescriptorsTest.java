package dev.relay.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.sun.management.UnixOperatingSystemMXBean;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DescriptorsTest {
    private static final String HEADER =
            "Limit                     Soft Limit           Hard Limit           Units     \n";

    @TempDir
    Path dir;

    @Test
    void theLimitIsTheOneTheJvmReports() {
        assumeTrue(Files.isReadable(Path.of("/proc/self/limits")), "no /proc/self/limits here");
        assumeTrue(ManagementFactory.getOperatingSystemMXBean() instanceof UnixOperatingSystemMXBean);
        long jvm =
                ((UnixOperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getMaxFileDescriptorCount();
        assertEquals(OptionalLong.of(jvm), Descriptors.limit());
    }

    @Test
    void theSoftLimitIsReadNotTheHardOne() throws IOException {
        Path limits = limits("Max processes             96362                96362                processes \n"
                + "Max open files            20000                524288               files     \n");
        assertEquals(OptionalLong.of(20_000), Descriptors.softLimit(limits));
    }

    @Test
    void unlimitedIsNoLimit() throws IOException {
        Path limits = limits("Max open files            unlimited            unlimited            files     \n");
        assertEquals(OptionalLong.of(Long.MAX_VALUE), Descriptors.softLimit(limits));
    }

    @Test
    void aFileWithoutTheLineOrWithNonsenseInItSaysNothing() throws IOException {
        assertTrue(Descriptors.softLimit(limits("Max processes   10   10   processes\n"))
                .isEmpty());
        assertTrue(Descriptors.softLimit(limits("Max open files  lots  lots  files\n"))
                .isEmpty());
        assertTrue(Descriptors.softLimit(dir.resolve("missing")).isEmpty());
    }

    @Test
    void aShortfallSaysWhatToSet() {
        assertTrue(Descriptors.shortfall(20_000, 10_064, "maxSessions 5000").isEmpty());
        String warning = Descriptors.shortfall(1024, 10_064, "maxSessions 5000").orElseThrow();
        assertTrue(
                warning.contains("1024") && warning.contains("maxSessions 5000") && warning.contains("10064"), warning);
    }

    private Path limits(String lines) throws IOException {
        return Files.writeString(dir.resolve("limits"), HEADER + lines);
    }
}
