package dev.relay.e2e;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.relay.net.Threads;
import java.net.DatagramSocket;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * What one data connection per UDP flow costs, measured on loopback with the outer and inner in one JVM: descriptors,
 * threads and heap per flow, and the first datagram of a flow (which opens it) against the next ones. Prints the
 * figures docs/performance.md quotes, and fails if a flow costs more than the design says.
 */
@ExtendWith(NoLeaks.class)
class UdpFlowCostIT {
    private static final int FLOWS = 500;
    private static final int PINGS = 200;

    @Test
    void oneDataConnectionPerFlowCostsWhatTheDocsSay() throws Exception {
        try (UdpTarget echo = UdpTarget.echo();
                TestTunnel t = UdpTest.tunnel(UdpTest.udpRoute("u0", echo))) {
            int port = t.outer.port("u0");
            List<DatagramSocket> users = new ArrayList<>();
            try {
                for (int i = 0; i < FLOWS; i++) {
                    users.add(UdpTest.client());
                }
                Runtime rt = Runtime.getRuntime();
                System.gc();
                long heapBefore = rt.totalMemory() - rt.freeMemory();
                int fdsBefore = NoLeaks.openFiles();
                int threadsBefore = Threads.live();
                long[] firstNanos = new long[FLOWS];
                for (int i = 0; i < FLOWS; i++) {
                    byte[] d = ("flow " + i).getBytes();
                    long start = System.nanoTime();
                    assertArrayEquals(d, UdpTest.ask(users.get(i), port, d));
                    firstNanos[i] = System.nanoTime() - start;
                }
                Await.until("every flow to be relaying on the inner", () -> t.inner.activeFlows() == FLOWS);
                System.gc();
                long heapPerFlow = (rt.totalMemory() - rt.freeMemory() - heapBefore) / FLOWS;
                double fdsPerFlow = (NoLeaks.openFiles() - fdsBefore) / (double) FLOWS;
                double threadsPerFlow = (Threads.live() - threadsBefore) / (double) FLOWS;
                long[] nextNanos = new long[PINGS];
                DatagramSocket u = users.get(FLOWS / 2);
                for (int i = 0; i < PINGS; i++) {
                    byte[] d = ("ping " + i).getBytes();
                    long start = System.nanoTime();
                    assertArrayEquals(d, UdpTest.ask(u, port, d));
                    nextNanos[i] = System.nanoTime() - start;
                }
                System.out.printf(
                        "udp flow cost over %d flows: %.2f descriptors (relay's, both sides), %.2f threads,"
                                + " ~%d KiB heap per flow; first datagram (opens the flow) median %.0f us p99 %.0f us;"
                                + " next datagrams median %.0f us p99 %.0f us%n",
                        FLOWS,
                        fdsPerFlow,
                        threadsPerFlow,
                        heapPerFlow / 1024,
                        percentile(firstNanos, 50) / 1e3,
                        percentile(firstNanos, 99) / 1e3,
                        percentile(nextNanos, 50) / 1e3,
                        percentile(nextNanos, 99) / 1e3);
                // A data connection at each end and the inner's own socket; two threads at each end.
                assertTrue(fdsPerFlow <= 3.05, "descriptors per flow: " + fdsPerFlow);
                assertTrue(threadsPerFlow <= 4.05, "threads per flow: " + threadsPerFlow);
            } finally {
                users.forEach(DatagramSocket::close);
            }
        }
    }

    private static double percentile(long[] values, int p) {
        long[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[Math.min(sorted.length - 1, sorted.length * p / 100)];
    }
}
