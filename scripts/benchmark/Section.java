package benchmark;

import java.util.Set;

/** A part of the bench that adds rows to the table, measured on each column that takes part; --only picks by name. */
interface Section {
    String BULK = "bulk";
    String OPEN = "open";
    String PING = "ping";
    String RR = "rr";
    String BURST = "burst";
    String LINK = "link";
    String UDP = "udp";
    /** Only with --only: it starts processes of its own and would lengthen the default run past its budget. */
    String SCALE = "scale";
    /** The sections a run without --only leaves out. */
    Set<String> OPT_IN = Set.of(SCALE);
    /** For a column that takes part in every section. */
    Set<String> ALL = Set.of(BULK, OPEN, PING, RR, BURST, LINK, UDP);

    String name();

    /** Measures the columns that take part ({@link Run#columns}); a failure on one is noted, not thrown. */
    void run(Run run) throws Exception;
}
