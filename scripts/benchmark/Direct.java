package benchmark;

/** The client connects to the targets themselves: the baseline every other column is divided by. */
final class Direct extends Column {
    private Endpoints ports;

    Direct() {
        super("direct", "direct", Section.ALL);
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
