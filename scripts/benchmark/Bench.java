package benchmark;

import java.util.List;

/**
 * {@code make bench}: relay as users run it beside a direct loopback connection, a minimal relay and ssh -R, all
 * measured in the same run, one table (see docs/performance.md). The {@link #SECTIONS} add the rows, the
 * {@link Lineup} is the columns.
 *
 * <p>The bench process holds the targets (echo, sink, source, UDP echo) and the delay proxies, on virtual threads with
 * blocking I/O; what sits between client and targets runs in child processes, started from copies of the jars and
 * ended by their handles in a {@code finally} and in a shutdown hook. Everything binds 127.0.0.1, on ephemeral ports.
 * The main thread runs the measurements one after another and is the only client, except in the bulk,
 * request/response and burst sections, which add client threads of their own, and the scale section (only with
 * {@code --only scale}), whose users run in a child process beside its own two outers and two inners.
 */
public final class Bench {
    /** In the order they run. */
    static final List<Section> SECTIONS = List.of(
            new BulkSection(),
            new OpenSection(),
            new PingSection(),
            new RrSection(),
            new BurstSection(),
            new UdpSection(),
            // Last: it ends with the inners stopped.
            new LinkSection(),
            // Only with --only scale: its own two outers and two inners.
            new ScaleSection());

    /** What each process needs besides the sessions' descriptors: jars, logs, listeners, the JVM's own. */
    static final int SPARE_FILES = 500;
    /** The most the bench asks for per process: 5,000 sessions take two descriptors each in most processes. */
    static final int MAX_FILES = 20_000;

    private Bench() {}

    /**
     * The bench, the outer, the inner, sshd and ssh each hold two descriptors per open session (one each side); the
     * children inherit this process's limit, which the JVM has raised to the hard one.
     */
    static void checkOpenFiles(Options o) {
        long need = 2L * o.sessions() + SPARE_FILES;
        long limit = Procfs.openFilesLimit();
        if (need > MAX_FILES) {
            System.out.printf(
                    "bench: %,d sessions need about %,d open files per process, more than the %,d the bench is sized"
                            + " for; expect failures%n",
                    o.sessions(), need, MAX_FILES);
        }
        if (limit >= 0 && limit < need) {
            System.out.printf(
                    "bench: WARNING: open files are limited to %,d per process (ulimit -n), and %,d sessions need about"
                            + " %,d: sessions beyond it will fail. Raise it (ulimit -n %,d as root, or in"
                            + " /etc/security/limits.conf) or pass --sessions %,d%n",
                    limit, o.sessions(), need, MAX_FILES, Math.max(0, (limit - SPARE_FILES) / 2));
        }
    }

    public static void main(String[] args) throws Exception {
        Options options =
                Options.parse(args, SECTIONS.stream().map(Section::name).toList());
        checkOpenFiles(options);
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
