package benchmark;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.DoubleBinaryOperator;

/**
 * The lines under the table in a full run: issue 11's targets (relay as users run it, against the minimal relay and
 * ssh -R of the same run) and issue 12's UDP targets, each "met" or "NOT MET" with the figures compared, or "n/a"
 * where a figure is missing. Then info lines on what TLS adds across the link.
 */
final class Verdicts {
    static final double IDLE_VS_EMPTY_JVM = 1.5;
    static final double MB_PER_THOUSAND = 20;
    static final double AFTER_VS_IDLE = 1.25;
    /** relay's default open timeout (tuning.openTimeoutSeconds), which the bench's configs leave as it is. */
    static final double OPEN_TIMEOUT_MILLIS = 10_000;

    static final double RR_CPU_VS_FLOOR = 1.1;
    static final double TLS_OPEN_CPU_VS_PLAIN = 1.3;
    static final double TLS_OPEN_ADDED_MICROS = 100;
    static final double BULK_VS_FLOOR = 0.9;
    static final double PING_VS_FLOOR = 1.05;
    static final double POOLED_LINK_RATIO = 0.6;

    static final double UDP_SMALL_PER_SECOND = 100_000;
    static final double UDP_LARGE_GBITS = 1.0;
    static final double UDP_LOSS_PERCENT = 0.1;

    private final Run run;
    private final Table table;
    private final Lineup cols;
    private final int n;
    private final List<String> lines = new ArrayList<>();

    private Verdicts(Run run) {
        this.run = run;
        this.table = run.table;
        this.cols = run.lineup;
        this.n = run.options.sessions();
    }

    static List<String> of(Run run) {
        Verdicts v = new Verdicts(run);
        v.memory();
        v.burst();
        v.tlsBulk();
        v.requestResponse();
        v.opens();
        v.holding();
        v.udp();
        v.descriptors();
        v.tlsLink(true);
        v.tlsLink(false);
        return v.lines;
    }

    /** Target 1: idle against an empty JVM, growth per 1,000 sessions, and back near idle after they close. */
    private void memory() {
        Memory m = run.memory;
        double empty = m.emptyJvm == null ? Double.NaN : m.emptyJvm.rssMB();
        Procfs.Sample[] sshIdle = cols.ssh().measures(Section.BURST) ? m.get(cols.ssh(), Memory.IDLE_AT_START) : null;
        String ssh = sshIdle == null ? "" : f("; ssh -R %.0f MB (sshd + ssh)", Memory.total(sshIdle));
        for (RelayPair c : List.of(cols.relay(), cols.tls())) {
            Procfs.Sample[] idle = m.get(c, Memory.IDLE_AT_START);
            boolean has = idle != null && idle.length == 2 && !Double.isNaN(empty);
            double limit = IDLE_VS_EMPTY_JVM * empty;
            verdict(
                    has ? (idle[0].rssMB() <= limit && idle[1].rssMB() <= limit) : null,
                    f("1. %s idle, each process ≤ %.1f× an empty JVM", c.label, IDLE_VS_EMPTY_JVM),
                    has
                            ? f(
                                    "outer %.0f MB, inner %.0f MB vs %.0f MB (empty JVM %.0f MB)%s%s",
                                    idle[0].rssMB(), idle[1].rssMB(), limit, empty, libraries(c), ssh)
                            : "not measured");
        }
        Table.Row per = table.get(Memory.perThousand());
        for (RelayPair c : List.of(cols.relay(), cols.tls())) {
            double x = per.get(c);
            verdict(
                    Double.isNaN(x) ? null : x <= MB_PER_THOUSAND,
                    f("1. %s ≤ %.0f MB per 1,000 idle sessions, outer + inner", c.label, MB_PER_THOUSAND),
                    Double.isNaN(x) ? per.cell(c) : f("%.1f MB%s", x, peer(per, "%.1f MB")));
        }
        Table.Row after = table.get(Memory.after(BurstSection.after(run)));
        Table.Row before = table.get(Memory.IDLE_BEFORE);
        for (RelayPair c : List.of(cols.relay(), cols.tls())) {
            double ratio = after.get(c) / before.get(c);
            verdict(
                    Double.isNaN(ratio) ? null : ratio <= AFTER_VS_IDLE,
                    f(
                            "1. %s within %.0f%% of idle %d s after the sessions close",
                            c.label,
                            100 * (AFTER_VS_IDLE - 1),
                            BurstSection.after(run).toSeconds()),
                    f("%.0f MB vs %.0f MB before them (%+.0f%%)", after.get(c), before.get(c), 100 * (ratio - 1)));
        }
    }

    /** relay's libraries alone, idle, as plain or TLS as {@code c}: the floor under its idle figure. */
    private String libraries(RelayPair c) {
        Procfs.Sample s = c == cols.tls() ? run.memory.librariesTls : run.memory.libraries;
        return s == null ? "" : f("; its libraries alone (%s) %.0f MB", Memory.LIBRARIES_SOURCE, s.rssMB());
    }

    /** Target 2: a TLS burst loses nobody. */
    private void burst() {
        Table.Row served = table.get(BurstSection.served(n));
        Table.Row within = table.get(BurstSection.withinTimeout(n));
        Table.Row last = table.get(BurstSection.lastWaited(n));
        double tls = served.get(cols.tls());
        double waited = last.get(cols.tls());
        verdict(
                Double.isNaN(tls) ? null : tls == n && waited <= OPEN_TIMEOUT_MILLIS,
                f("2. %,d users arriving at once with TLS all served within the open timeout", n),
                f(
                        "%,.0f of %,d, the last after %,.0f ms (timeout %,.0f ms); plain %,.0f;"
                                + " within the timeout: ssh -R %s, the floor %s plain and %s TLS",
                        tls,
                        n,
                        waited,
                        OPEN_TIMEOUT_MILLIS,
                        served.get(cols.relay()),
                        cell(within, cols.ssh(), "%,.0f"),
                        cell(within, cols.minimal(), "%,.0f"),
                        cell(within, cols.minimalTls(), "%,.0f")));
    }

    /** Target 3: TLS bulk at least ssh -R's in every bulk row. */
    private void tlsBulk() {
        Lowest l = lowest(Section.BULK, cols.tls(), cols.ssh());
        verdict(
                l.complete ? l.ratio >= 1 : null,
                "3. TLS bulk ≥ ssh -R's, 1 and 4 streams, both directions",
                l.complete
                        ? f("lowest %.2f× ssh -R (%s); the TLS floor %s", l.ratio, l.detail, floorVsSsh())
                        : notMeasured(cols.ssh()));
    }

    /** Target 4: request/response at 50 connections. */
    private void requestResponse() {
        Table.Row rate = table.get(RrSection.RATE);
        double tls = rate.get(cols.tls());
        double ssh = rate.get(cols.ssh());
        verdict(
                Double.isNaN(tls / ssh) ? null : tls >= ssh,
                f("4. %d connections with TLS: round trips/s ≥ ssh -R's", RrSection.CONNECTIONS),
                Double.isNaN(ssh)
                        ? notMeasured(cols.ssh())
                        : f("%,.0f vs %,.0f; the TLS floor %s", tls, ssh, cell(rate, cols.minimalTls(), "%,.0f")));
        double plain = rate.get(cols.relay());
        double floor = rate.get(cols.minimal());
        verdict(
                Double.isNaN(plain / floor) ? null : plain >= floor,
                f("4. %d connections plain: round trips/s ≥ the minimal relay's", RrSection.CONNECTIONS),
                f("%,.0f vs %,.0f", plain, floor));
        Table.Row cpu = table.get(RrSection.CPU);
        double ratio = cpu.ratio(cols.relay(), cols.minimal());
        verdict(
                Double.isNaN(ratio) ? null : ratio <= RR_CPU_VS_FLOOR,
                f("4. CPU per round trip, plain, ≤ %.1f× the minimal relay's", RR_CPU_VS_FLOOR),
                f(
                        "%.1f vs %.1f µs (%.2f×)%s",
                        cpu.get(cols.relay()), cpu.get(cols.minimal()), ratio, peer(cpu, "%.1f µs")));
    }

    /** Target 5: CPU per open and open latency, plain against the floor and TLS against plain. */
    private void opens() {
        Table.Row cpu = table.get(OpenSection.CPU);
        double plain = cpu.get(cols.relay());
        double floor = cpu.get(cols.minimal());
        verdict(
                Double.isNaN(plain / floor) ? null : plain <= floor,
                "5. CPU per open, plain, ≤ the minimal relay's",
                f("%.0f vs %.0f µs%s", plain, floor, peer(cpu, "%.0f µs")));
        double tls = cpu.get(cols.tls());
        verdict(
                Double.isNaN(tls / plain) ? null : tls <= TLS_OPEN_CPU_VS_PLAIN * plain,
                f("5. CPU per open, TLS, ≤ %.1f× plain", TLS_OPEN_CPU_VS_PLAIN),
                f(
                        "%.0f vs %.0f µs (%.2f×); the floor %s",
                        tls, plain, tls / plain, floorPair(cpu, "%.0f vs %.0f µs (%.2f×)", (t, p) -> t / p)));
        Table.Row p50 = table.get(OpenSection.P50);
        double open = p50.get(cols.relay());
        double openFloor = p50.get(cols.minimal());
        verdict(
                Double.isNaN(open / openFloor) ? null : open <= openFloor,
                "5. open → first byte p50, plain, ≤ the minimal relay's",
                f("%.0f vs %.0f µs%s", open, openFloor, peer(p50, "%.0f µs")));
        double openTls = p50.get(cols.tls());
        verdict(
                Double.isNaN(openTls - open) ? null : openTls <= open + TLS_OPEN_ADDED_MICROS,
                f("5. open → first byte p50, TLS, ≤ plain + %.0f µs", TLS_OPEN_ADDED_MICROS),
                f(
                        "%.0f vs %.0f µs (%+.0f µs); the floor %s",
                        openTls, open, openTls - open, floorPair(p50, "%.0f vs %.0f µs (%+.0f µs)", (t, p) -> t - p)));
    }

    /** Target 6: what held in issue 3 keeps holding. */
    private void holding() {
        Lowest bulk = lowest(Section.BULK, cols.relay(), cols.minimal());
        verdict(
                bulk.complete ? bulk.ratio >= BULK_VS_FLOOR : null,
                f("6. plain bulk ≥ %.1f× the minimal relay, every bulk row", BULK_VS_FLOOR),
                bulk.complete ? f("lowest %.2f× (%s)", bulk.ratio, bulk.detail) : "not measured");
        Table.Row ping = table.get(PingSection.P50);
        double ratio = ping.ratio(cols.relay(), cols.minimal());
        verdict(
                Double.isNaN(ratio) ? null : ratio <= PING_VS_FLOOR,
                f("6. %d-byte ping-pong p50 ≤ %.2f× the minimal relay", PingSection.SIZE, PING_VS_FLOOR),
                f(
                        "%.1f vs %.1f µs (%.2f×)%s",
                        ping.get(cols.relay()), ping.get(cols.minimal()), ratio, peer(ping, "%.1f µs")));
        double w = table.get(BurstSection.allWork(n)).get(cols.relay());
        verdict(
                Double.isNaN(w) ? null : w == n,
                f("6. %,d plain sessions all work", n),
                f("%,.0f of %,d echo again with all open", w, n));
        Table.Row pooled = table.get(LinkSection.metric(true));
        double link = pooled.ratio(cols.relay(), cols.direct());
        verdict(
                Double.isNaN(link) ? null : link <= POOLED_LINK_RATIO,
                f(
                        "6. open across a %d ms link, pooled, ≤ %.1f× direct",
                        LinkSection.DELAY.toMillis(), POOLED_LINK_RATIO),
                f("%.2f× (%.1f vs %.1f ms)", link, pooled.get(cols.relay()), pooled.get(cols.direct())));
    }

    /** Issue 12: one UDP flow carries each load with under 0.1% loss; the floor's figures beside. */
    private void udp() {
        Table.Row smallRate = table.get(UdpSection.SMALL_RATE);
        Table.Row smallLoss = table.get(UdpSection.SMALL_LOSS);
        Table.Row largeRate = table.get(UdpSection.LARGE_RATE);
        Table.Row largeLoss = table.get(UdpSection.LARGE_LOSS);
        for (RelayPair c : List.of(cols.relay(), cols.tls())) {
            udpLoad(
                    c,
                    f(
                            "UDP %d-byte datagrams at ≥ %,.0f/s, loss < %.1f%%",
                            UdpSection.SMALL.size(), UDP_SMALL_PER_SECOND, UDP_LOSS_PERCENT),
                    smallRate,
                    smallLoss,
                    UDP_SMALL_PER_SECOND,
                    "%,.0f/s");
            udpLoad(
                    c,
                    f(
                            "UDP %,d-byte datagrams at ≥ %.0f Gbit/s, loss < %.1f%%",
                            UdpSection.LARGE.size(), UDP_LARGE_GBITS, UDP_LOSS_PERCENT),
                    largeRate,
                    largeLoss,
                    UDP_LARGE_GBITS,
                    "%.2f Gbit/s");
        }
    }

    /**
     * The load is offered at exactly the target rate, so what echoes may fall short of it by the loss allowed and
     * still meet it.
     */
    private void udpLoad(Column c, String target, Table.Row rate, Table.Row loss, double wanted, String format) {
        double r = rate.get(c);
        double l = loss.get(c);
        Column floor = cols.minimal();
        verdict(
                Double.isNaN(r + l) ? null : r >= wanted * (1 - UDP_LOSS_PERCENT / 100) && l < UDP_LOSS_PERCENT,
                "issue 12. " + c.label + ", " + target,
                f(
                        format + " echoed, loss %.2f%%; minimal relay " + format + ", loss %.2f%%",
                        r,
                        l,
                        rate.get(floor),
                        loss.get(floor)));
    }

    /** Whether the burst's sessions left descriptors or threads behind, as info: no target names it. */
    private void descriptors() {
        String after = Memory.after(BurstSection.after(run));
        for (RelayPair c : List.of(cols.relay(), cols.tls())) {
            Procfs.Sample[] b = run.memory.get(c, Memory.IDLE_BEFORE);
            Procfs.Sample[] a = run.memory.get(c, after);
            if (b == null || a == null || b.length != 2 || a.length != 2) {
                continue;
            }
            lines.add("info     "
                    + f(
                            "%s descriptors / threads before the burst → %d s after: outer %d/%d → %d/%d, inner"
                                    + " %d/%d → %d/%d",
                            c.label,
                            BurstSection.after(run).toSeconds(),
                            b[0].fds(),
                            b[0].threads(),
                            a[0].fds(),
                            a[0].threads(),
                            b[1].fds(),
                            b[1].threads(),
                            a[1].fds(),
                            a[1].threads()));
        }
    }

    /**
     * How many round trips TLS adds to an open across the link: none with a pool; none without, where the TLS
     * handshake's round trip is won back by the data connection's one-frame authentication (DataAuth).
     */
    private void tlsLink(boolean pooled) {
        Table.Row r = table.get(LinkSection.metric(pooled));
        double added = r.get(cols.tls()) - r.get(cols.relay());
        double roundTrip = 2 * LinkSection.DELAY.toNanos() / Latency.MILLIS;
        String expect = pooled
                ? "expected none: a pooled connection did its TLS handshake before the user came"
                : "expected none: TLS 1.3 adds a round trip to a new connection, and DataAuth takes one off the"
                        + " challenge that plain TCP needs";
        lines.add("info     "
                + f(
                        "%s vs plain, open across a %d ms link, pool %s: ",
                        cols.tls().label, LinkSection.DELAY.toMillis(), pooled ? "on" : "off")
                + (Double.isNaN(added)
                        ? "not measured"
                        : f(
                                "%+.1f ms (%.1f vs %.1f ms) = %+.1f round trips; %s",
                                added, r.get(cols.tls()), r.get(cols.relay()), added / roundTrip, expect)));
    }

    /** The TLS floor against the plain floor in {@code row}: both figures and how they compare, or "not measured". */
    private String floorPair(Table.Row row, String format, DoubleBinaryOperator compare) {
        double t = row.get(cols.minimalTls());
        double p = row.get(cols.minimal());
        return Double.isNaN(t + p) ? "not measured" : f(format, t, p, compare.applyAsDouble(t, p));
    }

    /** The TLS floor's worst bulk row against ssh -R, where both were measured. */
    private String floorVsSsh() {
        Lowest f = lowest(Section.BULK, cols.minimalTls(), cols.ssh());
        return f.complete ? f("lowest %.2f× ssh -R (%s)", f.ratio, f.detail) : "not measured";
    }

    /** The row of {@code section} where {@code c} does worst against {@code base}, and whether all were measured. */
    record Lowest(double ratio, String detail, boolean complete) {}

    private Lowest lowest(String section, Column c, Column base) {
        double worst = Double.POSITIVE_INFINITY;
        String detail = "";
        boolean complete = !table.rows(section).isEmpty();
        for (Table.Row r : table.rows(section)) {
            double ratio = r.ratio(c, base);
            if (Double.isNaN(ratio)) {
                complete = false;
            } else if (ratio < worst) {
                worst = ratio;
                detail = f(
                        "%s: %.2f vs %.2f",
                        r.metric.replace("bulk, ", "").replace(", Gbit/s", ""), r.get(c), r.get(base));
            }
        }
        return new Lowest(worst, detail + " Gbit/s", complete);
    }

    /** ssh -R's figure in {@code row}, as "; ssh -R ...", for a line about relay. */
    private String peer(Table.Row row, String format) {
        double x = row.get(cols.ssh());
        return Double.isNaN(x) ? "" : "; ssh -R " + f(format, x);
    }

    private static String cell(Table.Row row, Column c, String format) {
        double x = row.get(c);
        return Double.isNaN(x)
                ? (c instanceof SshReverse s && !s.available() ? SshReverse.NOT_MEASURED : "n/a")
                : f(format, x);
    }

    private static String notMeasured(SshReverse ssh) {
        return ssh.available() ? "ssh -R not measured" : "ssh -R " + SshReverse.NOT_MEASURED;
    }

    /** {@code met} is null when a figure is missing. */
    private void verdict(Boolean met, String target, String detail) {
        String status = met == null ? "n/a    " : met ? "met    " : "NOT MET";
        lines.add(status + "  " + target + ": " + detail);
    }

    private static String f(String format, Object... args) {
        return String.format(Locale.ROOT, format, args);
    }
}
