package benchmark;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The lines under the tables in a full run: PASS or FAIL for each of the project's targets, judged on the plain relay,
 * then info lines that set it beside the floor (the minimal relay) and the TLS pair.
 */
final class Verdicts {
    static final double BULK_RATIO = 0.5;
    static final double OPEN_ADDED_MICROS = 150;
    static final double PING_MICROS = 90;
    static final double MB_PER_THOUSAND = 20;
    static final double POOLED_LINK_RATIO = 0.6;
    /** Threads count as back to baseline within this many: the JVM starts and ends a few of its own. */
    static final int THREAD_SLACK = 2;

    private final Run run;
    private final Table table;
    private final Lineup cols;
    private final List<String> lines = new ArrayList<>();

    private Verdicts(Run run) {
        this.run = run;
        this.table = run.table;
        this.cols = run.lineup;
    }

    static List<String> of(Run run) {
        Verdicts v = new Verdicts(run);
        v.bulk();
        v.open();
        v.ping();
        v.sessions();
        v.memory();
        v.descriptors();
        v.pooledLink();
        v.floor();
        v.tls();
        v.tlsLink(true);
        v.tlsLink(false);
        return v.lines;
    }

    /**
     * The bulk row where {@code c} does worst against direct, among those measured: its ratio (infinite when none was),
     * the row, its short name, and whether every bulk row was measured.
     */
    record LowestBulk(double ratio, Table.Row row, String what, boolean complete) {}

    LowestBulk lowestBulk(Column c) {
        double worst = Double.POSITIVE_INFINITY;
        Table.Row at = null;
        boolean complete = true;
        for (Table.Row r : table.rows(Section.BULK)) {
            double ratio = r.ratio(c, cols.direct());
            if (Double.isNaN(ratio)) {
                complete = false;
            } else if (ratio < worst) {
                worst = ratio;
                at = r;
            }
        }
        String what = at == null ? "" : at.metric.replace("bulk, ", "").replace(", Gbit/s", "");
        return new LowestBulk(worst, at, what, complete);
    }

    private void bulk() {
        LowestBulk bulk = lowestBulk(cols.relay());
        verdict(
                bulk.complete() && bulk.ratio() >= BULK_RATIO,
                f("bulk ≥ %.1f× direct, 1 and 4 streams, both directions", BULK_RATIO),
                bulk.complete() ? f("lowest %.2f× (%s)", bulk.ratio(), bulk.what()) : "not measured");
    }

    private void open() {
        Table.Row open = table.get(OpenSection.P50);
        double relay = open.get(cols.relay());
        double direct = open.get(cols.direct());
        verdict(
                relay - direct <= OPEN_ADDED_MICROS,
                f("open → first byte p50 within %.0f µs of direct", OPEN_ADDED_MICROS),
                f("+%.0f µs (%.0f vs %.0f µs)", relay - direct, relay, direct));
    }

    private void ping() {
        double ping = table.get(PingSection.P50).get(cols.relay());
        verdict(
                ping < PING_MICROS,
                f("%d-byte ping-pong p50 < %.0f µs", PingSection.SIZE, PING_MICROS),
                f("%.1f µs", ping));
    }

    private void sessions() {
        int n = run.options.sessions();
        double w = table.get(SessionsSection.metric(n)).get(cols.relay());
        verdict(
                w == n,
                f("%,d concurrent sessions all work", n),
                Double.isNaN(w) ? "not measured" : f("%,.0f of %,d", w, n));
    }

    private void memory() {
        double perThousand = run.memory.mbPerThousand(run);
        verdict(
                perThousand <= MB_PER_THOUSAND,
                f("≤ %.0f MB resident (outer + inner) per 1,000 idle sessions", MB_PER_THOUSAND),
                Double.isNaN(perThousand) ? "not measured" : f("%.1f MB", perThousand));
    }

    private void descriptors() {
        Procfs.Sample[] before = run.memory.samples.get(Memory.IDLE_BEFORE);
        Procfs.Sample[] after = run.memory.samples.get(Memory.AFTER_CLOSE);
        if (before == null || after == null) {
            return;
        }
        boolean back = true;
        for (int i = 0; i < before.length; i++) {
            back &= after[i].fds() <= before[i].fds() + SessionsSection.FD_SLACK;
            back &= after[i].threads() <= before[i].threads() + THREAD_SLACK;
        }
        verdict(
                back,
                "descriptors and threads back to baseline after the sessions end",
                f(
                        "fds %d→%d outer, %d→%d inner; threads %d→%d, %d→%d",
                        before[0].fds(),
                        after[0].fds(),
                        before[1].fds(),
                        after[1].fds(),
                        before[0].threads(),
                        after[0].threads(),
                        before[1].threads(),
                        after[1].threads()));
    }

    private void pooledLink() {
        Table.Row pooled = table.get(LinkSection.metric(true));
        double ratio = pooled.ratio(cols.relay(), cols.direct());
        verdict(
                ratio <= POOLED_LINK_RATIO,
                f("open across a %d ms link, pooled ≤ %.1f× direct", LinkSection.DELAY.toMillis(), POOLED_LINK_RATIO),
                Double.isNaN(ratio)
                        ? "not measured"
                        : f("%.2f× (%.1f vs %.1f ms)", ratio, pooled.get(cols.relay()), pooled.get(cols.direct())));
    }

    /** How relay compares with the minimal relay measured in the same run: the floor its design allows here. */
    private void floor() {
        LowestBulk floor = lowestBulk(cols.minimal());
        LowestBulk relay = lowestBulk(cols.relay());
        Table.Row open = table.get(OpenSection.P50);
        Table.Row ping = table.get(PingSection.P50);
        info(
                f("the floor here, %s (%s) in this run", cols.minimal().label, Minimal.SOURCE),
                f(
                        "bulk lowest %.2f× direct (relay %.2f×); open p50 +%.0f µs over direct (relay +%.0f µs);"
                                + " %d-byte ping-pong p50 %.1f µs (relay %.1f µs)",
                        floor.complete() ? floor.ratio() : Double.NaN,
                        relay.complete() ? relay.ratio() : Double.NaN,
                        open.get(cols.minimal()) - open.get(cols.direct()),
                        open.get(cols.relay()) - open.get(cols.direct()),
                        PingSection.SIZE,
                        ping.get(cols.minimal()),
                        ping.get(cols.relay())));
    }

    /** The TLS pair beside the plain one on loopback: for information, the targets are judged on the plain pair. */
    private void tls() {
        String tls = cols.tls().label;
        LowestBulk bulk = lowestBulk(cols.tls());
        info(
                tls + ", bulk",
                bulk.row() == null
                        ? "not measured"
                        : f(
                                "lowest %.2f× direct (%s; plain relay %.2f× there)",
                                bulk.ratio(), bulk.what(), bulk.row().ratio(cols.relay(), cols.direct())));
        Table.Row open = table.get(OpenSection.P50);
        info(
                tls + ", open → first byte p50",
                f(
                        "+%.0f µs over direct (%.0f vs %.0f µs; plain relay +%.0f µs)",
                        open.get(cols.tls()) - open.get(cols.direct()),
                        open.get(cols.tls()),
                        open.get(cols.direct()),
                        open.get(cols.relay()) - open.get(cols.direct())));
        Table.Row ping = table.get(PingSection.P50);
        info(
                f("%s, %d-byte ping-pong p50", tls, PingSection.SIZE),
                f("%.1f µs (plain relay %.1f µs)", ping.get(cols.tls()), ping.get(cols.relay())));
    }

    /** How many round trips TLS adds to an open across the link: none with a pool, one without. */
    private void tlsLink(boolean pooled) {
        Table.Row r = table.get(LinkSection.metric(pooled));
        double added = r.get(cols.tls()) - r.get(cols.relay());
        double roundTrip = 2 * LinkSection.DELAY.toNanos() / Latency.MILLIS;
        String expect = pooled
                ? "expected none: a pooled connection did its TLS handshake before the user came"
                : "expected one: a new TLS 1.3 connection needs one round trip more, full or resumed";
        info(
                f(
                        "%s vs plain, open across a %d ms link, pool %s",
                        cols.tls().label, LinkSection.DELAY.toMillis(), pooled ? "on" : "off"),
                Double.isNaN(added)
                        ? "not measured"
                        : f(
                                "%+.1f ms (%.1f vs %.1f ms) = %+.1f round trips; %s",
                                added, r.get(cols.tls()), r.get(cols.relay()), added / roundTrip, expect));
    }

    private void verdict(boolean pass, String target, String detail) {
        lines.add((pass ? "PASS" : "FAIL") + "  " + target + ": " + detail);
    }

    private void info(String what, String detail) {
        lines.add("info  " + what + ": " + detail);
    }

    private static String f(String format, Object... args) {
        return String.format(Locale.ROOT, format, args);
    }
}
