package benchmark;

import java.util.Set;

/** The client connects to the targets themselves: the baseline every other column is divided by. */
final class Direct extends Column {
    private Endpoints ports;

    Direct() {
        // No burst: the processes in between are what the burst measures, and the run's five minutes are short.
        super(
                "direct",
                "direct",
                Set.of(Section.BULK, Section.OPEN, Section.PING, Section.RR, Section.LINK, Section.UDP));
    }

    @Override
    String description() {
        return "the client connects to the targets themselves";
    }

    @Override
    void start(Run run) {
        ports = run.targets.ports();
    }

    @Override
    Endpoints ports() {
        return ports;
    }
}
