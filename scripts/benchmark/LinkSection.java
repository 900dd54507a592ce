package benchmark;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Opens across a link with {@link #DELAY} each way. Each column that can go {@link Across} gets a delay proxy of its
 * own between its two halves, once with a pool and once without, a fresh near half each time; direct is the client
 * reaching the echo target through the same kind of proxy. With either pool setting the columns run side by side and
 * take turns, {@link #ROUNDS} rounds each.
 */
final class LinkSection implements Section {
    static final Duration DELAY = Duration.ofMillis(10);
    /** Opens before any count, per column and setting: a fresh inner's first sessions are slower than the rest. */
    static final int WARMUP = 10;
    /**
     * With a pool, a fresh inner's first few hundred sessions run before the JIT has compiled their path, a few ms
     * each on top of the round trip being measured; a pooled open costs one round trip, so these are cheap.
     */
    static final int POOLED_WARMUP = 200;

    static final int SESSIONS = 32;
    static final int QUICK_SESSIONS = 20;
    static final int ROUNDS = 4;
    /** The pool of the "pool on" row, whatever --pool says for the loopback sections. */
    static final int POOL = 8;
    /** How long a fresh near half gets to fill its pool (its descriptor counts stop moving) before the opens. */
    static final Duration SETTLE = Duration.ofSeconds(10);

    /**
     * What a column needs for this section: two halves (an outer and an inner) that a link can go between, the near
     * one (which dials the far one) restartable with another address to dial and another pool.
     */
    interface Across {
        /** The far half's port, which the link forwards to. */
        int farPort();

        /** Stops the near half: an outer serves one inner at a time, so the loopback one goes before a linked one. */
        void stopNear();

        /** Starts a fresh near half, its log tagged {@code tag}, that dials {@code via}; waits until it serves. */
        void startNear(String tag, int via, int pool) throws Exception;
    }

    static String metric(boolean pooled) {
        return "open across " + DELAY.toMillis() + " ms each way, pool " + (pooled ? "on" : "off") + ", p50, ms";
    }

    @Override
    public String name() {
        return LINK;
    }

    @Override
    public void run(Run run) throws InterruptedException {
        run.section("open with " + DELAY.toMillis() + " ms each way between inner and outer");
        Table.Row on = run.table.row(LINK, metric(true), "%.1f");
        Table.Row off = run.table.row(LINK, metric(false), "%.1f");
        int n = run.options.quick() ? QUICK_SESSIONS : SESSIONS;
        direct(run, on, off, n);
        List<Column> across =
                run.columns(LINK).stream().filter(c -> c instanceof Across).toList();
        across.forEach(c -> ((Across) c).stopNear());
        setting(run, across, POOL, n, on);
        setting(run, across, 0, n, off);
    }

    /** Direct, measured once and shown in both rows: a direct connection has no pool. */
    private static void direct(Run run, Table.Row on, Table.Row off, int n) {
        Column direct = run.lineup.direct();
        DelayProxy link =
                run.closing(new DelayProxy("link-" + direct.id, direct.ports().echo(), DELAY));
        run.measure(on, direct, () -> {
            Latency l = Clients.opens(link.port(), WARMUP, n);
            Run.report(direct, "opens across the link", l, Latency.MILLIS, "ms");
            off.values.put(direct, l.p50() / Latency.MILLIS);
            return l.p50() / Latency.MILLIS;
        });
    }

    /** One pool setting: a fresh near half per column behind its own link, the columns taking turns. */
    private static void setting(Run run, List<Column> columns, int pool, int n, Table.Row row)
            throws InterruptedException {
        String tag = pool > 0 ? "delay-pool" : "delay-nopool";
        Map<Column, DelayProxy> links = new LinkedHashMap<>();
        try {
            List<Column> ready = new ArrayList<>();
            for (Column c : columns) {
                DelayProxy link = new DelayProxy("link-" + c.id, ((Across) c).farPort(), DELAY);
                links.put(c, run.closing(link));
                if (run.attempt(row, c, () -> ((Across) c).startNear(tag, link.port(), pool))) {
                    ready.add(c);
                }
            }
            // The pools fill in the background: start when the descriptor counts stop moving.
            Procfs.settle(ready.stream().flatMap(c -> c.measured().stream()).toList(), SETTLE);
            for (Column c : ready) {
                run.attempt(row, c, () -> Clients.opens(c.ports().echo(), pool > 0 ? POOLED_WARMUP : WARMUP, 0));
            }
            var rounds = run.interleaved(
                    row, ready, ROUNDS, c -> Clients.opens(c.ports().echo(), 0, n / ROUNDS));
            Run.merged(rounds, ROUNDS).forEach((c, l) -> {
                Run.report(c, "opens, pool " + pool, l, Latency.MILLIS, "ms");
                run.failures(row, c, l);
                row.values.put(c, l.p50() / Latency.MILLIS);
            });
        } finally {
            links.keySet().forEach(c -> ((Across) c).stopNear());
            links.values().forEach(Net::closeQuietly);
        }
    }
}
