package benchmark;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;

/**
 * One UDP flow to the UDP echo target, offered datagrams at a fixed rate: how many come back per second, and how many
 * are lost. A datagram crosses the tunnel twice (there and back), so a loss in either direction counts. One flow is
 * the case of a WireGuard peer or a busy DNS client: everything on one user address, so on one data connection.
 */
final class UdpSection implements Section {
    /** The largest UDP payload over IPv4; the echo target's buffer. */
    static final int MAX_DATAGRAM = 65_507;

    /** A size and the rate it is offered at: issue 12's targets, 100,000 small datagrams a second and 1 Gbit/s. */
    record Load(int size, int perSecond) {
        String name() {
            return String.format(Locale.ROOT, "UDP %,d-byte datagrams offered at %,d/s", size, perSecond);
        }

        /** The table's shorter form. */
        String row() {
            return String.format(Locale.ROOT, "UDP %,d B at %,d/s", size, perSecond);
        }

        double gbits(double perSecond) {
            return perSecond * size * 8 / 1e9;
        }
    }

    static final Load SMALL = new Load(64, 100_000);
    static final Load LARGE = new Load(1_400, 89_286);
    static final String SMALL_RATE = SMALL.row() + ": echoed/s";
    static final String SMALL_LOSS = SMALL.row() + ": loss, %";
    static final String LARGE_RATE = LARGE.row() + ": echoed, Gbit/s";
    static final String LARGE_LOSS = LARGE.row() + ": loss, %";
    static final String CPU = "CPU per echoed UDP datagram, µs";

    static final Duration OFFER = Duration.ofMillis(500);
    static final Duration QUICK_OFFER = Duration.ofMillis(300);
    static final int WARMUP = 5_000;
    static final int WARMUP_WAIT_MILLIS = 200;
    /** After the last datagram is sent, how long a reply may still be on its way. */
    static final int DRAIN_MILLIS = 300;
    /** The sender sleeps this long when it is ahead of its rate. */
    static final long PACE_NANOS = 50_000;

    @Override
    public String name() {
        return UDP;
    }

    @Override
    public void run(Run run) {
        Duration offer = run.options.quick() ? QUICK_OFFER : OFFER;
        run.section(String.format(
                Locale.ROOT,
                "UDP, one flow, datagrams offered at a fixed rate for %.1f s to an echo",
                offer.toMillis() / 1e3));
        Table.Row smallRate = run.table.row(UDP, SMALL_RATE, "%,.0f");
        Table.Row smallLoss = run.table.row(UDP, SMALL_LOSS, "%.2f");
        Table.Row largeRate = run.table.row(UDP, LARGE_RATE, "%.2f");
        Table.Row largeLoss = run.table.row(UDP, LARGE_LOSS, "%.2f");
        Table.Row cpu = run.cpuRow(UDP, CPU, "%.2f");
        Map<Column, Duration> spent = new HashMap<>();
        Map<Column, Long> echoed = new HashMap<>();
        for (Column c : run.columns(UDP)) {
            run.attempt(smallRate, c, () -> {
                try (DatagramSocket s = flow(c)) {
                    for (Load load : List.of(SMALL, LARGE)) {
                        Table.Row rate = load == SMALL ? smallRate : largeRate;
                        Result r = Run.withCpu(c, spent, () -> offer(s, load, offer));
                        echoed.merge(c, r.received, Long::sum);
                        double perSecond = r.received / (offer.toNanos() / 1e9);
                        rate.values.put(c, load == SMALL ? perSecond : load.gbits(perSecond));
                        (load == SMALL ? smallLoss : largeLoss).values.put(c, r.lossPercent());
                        System.out.printf(
                                Locale.ROOT,
                                "  %-13s %s: %,d sent, %,d echoed (%,.0f/s, %.2f Gbit/s), loss %.2f%%%n",
                                c.label,
                                load.name(),
                                r.sent,
                                r.received,
                                perSecond,
                                load.gbits(perSecond),
                                r.lossPercent());
                    }
                }
            });
            if (echoed.containsKey(c)) {
                Run.cpuPer(cpu, c, spent, (int) Math.min(Integer.MAX_VALUE, echoed.get(c)), "echoed datagram");
            }
        }
    }

    /** What one offer sent and got back. */
    record Result(long sent, long received) {
        double lossPercent() {
            return sent == 0 ? Double.NaN : 100.0 * (sent - received) / sent;
        }
    }

    /**
     * A client socket whose flow is open and warm: the first datagram opens the flow (the outer queues it while the
     * inner's data connection comes), then {@link #WARMUP} round trips let the JIT compile the path.
     */
    private static DatagramSocket flow(Column c) throws IOException {
        DatagramSocket s = Net.bindUdp();
        try {
            s.connect(new InetSocketAddress(Net.LOOPBACK, c.ports().udpEcho()));
            byte[] buf = new byte[SMALL.size()];
            DatagramPacket out = new DatagramPacket(buf, buf.length);
            DatagramPacket in = new DatagramPacket(new byte[MAX_DATAGRAM], MAX_DATAGRAM);
            // The first reply waits for the flow's data connection; later ones only for a datagram UDP may lose.
            s.setSoTimeout(Clients.SESSION_TIMEOUT_MILLIS);
            s.send(out);
            s.receive(in);
            s.setSoTimeout(WARMUP_WAIT_MILLIS);
            for (int i = 0, lost = 0; i < WARMUP; i++) {
                s.send(out);
                try {
                    s.receive(in);
                } catch (SocketTimeoutException e) {
                    if (++lost > WARMUP / 100) {
                        throw new IOException("more than 1% of the warm-up's datagrams got no reply", e);
                    }
                }
            }
            return s;
        } catch (IOException e) {
            s.close();
            throw e;
        }
    }

    /**
     * Sends {@code load} for {@code duration}, paced by the clock, while a virtual thread counts what comes back until
     * {@link #DRAIN_MILLIS} pass without a reply after the last send.
     */
    private static Result offer(DatagramSocket s, Load load, Duration duration) throws Exception {
        long[] received = new long[1];
        s.setSoTimeout(DRAIN_MILLIS);
        Thread counter = Thread.ofVirtual().name("udp-count").start(() -> {
            DatagramPacket in = new DatagramPacket(new byte[MAX_DATAGRAM], MAX_DATAGRAM);
            try {
                while (true) {
                    s.receive(in);
                    received[0]++;
                }
            } catch (SocketTimeoutException quiet) {
                // The run is over: nothing has come back for a while.
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        DatagramPacket out = new DatagramPacket(new byte[load.size()], load.size());
        long start = System.nanoTime();
        long end = start + duration.toNanos();
        long sent = 0;
        for (long now = start; now < end; now = System.nanoTime()) {
            long due = (now - start) * load.perSecond() / 1_000_000_000L;
            if (sent < due) {
                s.send(out);
                sent++;
            } else {
                LockSupport.parkNanos(PACE_NANOS);
            }
        }
        counter.join();
        s.setSoTimeout(Clients.SESSION_TIMEOUT_MILLIS);
        return new Result(sent, received[0]);
    }
}
