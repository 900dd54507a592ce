package benchmark;

import java.util.List;

/**
 * {@code make bench}: relay beside a direct loopback connection and a minimal relay, all measured in the same run, one
 * table (see docs/performance.md). The {@link #SECTIONS} add the rows, the {@link Lineup} is the columns.
 *
 * <p>The bench process holds the targets (echo, sink, source) and the delay proxies, on virtual threads with blocking
 * I/O; what sits between client and targets runs in child processes, started from copies of the jars and ended by
 * their handles in a {@code finally} and in a shutdown hook. Everything binds 127.0.0.1, on ephemeral ports. The main
 * thread runs the measurements one after another and is the only client, except in the bulk and concurrent-session
 * sections, which add client threads of their own.
 */
public final class Bench {
    /** In the order they run. */
    static final List<Section> SECTIONS = List.of(
            new BulkSection(),
            new OpenSection(),
            new PingSection(),
            new SessionsSection(),
            new UdpSection(),
            // Last: it ends with the inners stopped.
            new LinkSection());

    private Bench() {}

    public static void main(String[] args) throws Exception {
        Options options =
                Options.parse(args, SECTIONS.stream().map(Section::name).toList());
        Run run = new Run(options, Lineup.of(options));
        Runtime.getRuntime().addShutdownHook(new Thread(run::stop, "bench-shutdown"));
        try {
            run.start();
            for (Section s : SECTIONS) {
                if (options.runs(s.name())) {
                    s.run(run);
                }
            }
            Report.print(run, options.full() ? Verdicts.of(run) : List.of());
        } finally {
            run.stop();
        }
        // A bulk client thread stuck in a write would otherwise keep the JVM alive.
        System.exit(0);
    }
}
