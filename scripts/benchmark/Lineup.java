package benchmark;

import java.util.List;
import java.util.Set;

/**
 * The table's columns, in order. The verdicts name the four they compare; a column nothing judges only needs to be
 * constructed here and listed in {@link #all}.
 */
record Lineup(Direct direct, RelayPair relay, RelayPair tls, Minimal minimal) {
    static Lineup of(Options o) {
        return new Lineup(
                new Direct(),
                new RelayPair("relay", "relay", false, o.jvmFlags(), Section.ALL),
                new RelayPair(
                        "relay-tls",
                        "relay (TLS)",
                        true,
                        o.jvmFlags(),
                        Set.of(Section.BULK, Section.OPEN, Section.PING, Section.LINK, Section.UDP)),
                new Minimal(
                        "minimal",
                        "minimal relay",
                        o.jvmFlags(),
                        Set.of(Section.BULK, Section.OPEN, Section.PING, Section.UDP)));
    }

    List<Column> all() {
        return List.of(direct, relay, tls, minimal);
    }
}
