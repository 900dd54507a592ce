package benchmark;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The table's columns, in order. The verdicts name those they compare; a column nothing judges only needs to be
 * constructed here and listed in {@link #all}.
 *
 * @param tuned relay with the flags of {@code --tuned}, for information; null unless asked for
 */
record Lineup(
        Direct direct,
        RelayPair relay,
        RelayPair tls,
        Minimal minimal,
        Minimal minimalTls,
        SshReverse ssh,
        RelayPair tuned) {
    static Lineup of(Options o) {
        RelayPair tuned = null;
        if (o.tunedFlags() != null) {
            List<String> flags = new ArrayList<>(o.tunedFlags());
            flags.addAll(RelayPair.QUIET_SESSION_LOGS);
            tuned = new RelayPair(
                    "relay-tuned",
                    "relay (tuned)",
                    false,
                    flags,
                    Set.of(Section.BULK, Section.OPEN, Section.PING, Section.RR));
        }
        return new Lineup(
                new Direct(),
                new RelayPair("relay", "relay", false, List.of(), Section.ALL),
                new RelayPair("relay-tls", "relay (TLS)", true, List.of(), Section.ALL),
                new Minimal(
                        "minimal",
                        "minimal relay",
                        false,
                        Set.of(Section.BULK, Section.OPEN, Section.PING, Section.RR, Section.BURST, Section.UDP)),
                new Minimal(
                        "minimal-tls",
                        "minimal relay (TLS)",
                        true,
                        // No ping-pong: no target compares TLS ping-pong, and the bench must stay under 5 minutes.
                        Set.of(Section.BULK, Section.OPEN, Section.RR, Section.BURST)),
                new SshReverse(
                        "ssh", "ssh -R", Set.of(Section.BULK, Section.OPEN, Section.PING, Section.RR, Section.BURST)),
                tuned);
    }

    List<Column> all() {
        List<Column> all = new ArrayList<>(List.of(direct, relay, tls, minimal, minimalTls, ssh));
        if (tuned != null) {
            all.add(tuned);
        }
        return all;
    }
}
