package benchmark;

import java.util.List;
import java.util.Set;

/**
 * One way from the bench's client to its targets, a column of the table: how it starts, the port it offers for each
 * target, the processes in between (whose CPU time and memory the bench reads), how it stops, and the sections it takes
 * part in. A section runs its measurement on every column that takes part, in turns; the table says "not measured" in
 * the others' cells.
 */
abstract class Column {
    /** A short name for files, logs and threads: letters, digits and dashes. */
    final String id;
    /** The column's heading in the table, and the start of its lines while the bench runs. */
    final String label;

    private final Set<String> sections;

    Column(String id, String label, Set<String> sections) {
        this.id = id;
        this.label = label;
        this.sections = Set.copyOf(sections);
    }

    /** One line for the report's header: what sits between the client and the targets. */
    abstract String description();

    /** Starts what sits between the client and the targets and waits until it serves; a failure ends the run. */
    abstract void start(Run run) throws Exception;

    /** The ports the client connects to, once started. */
    abstract Endpoints ports();

    /** The processes between the client and the targets, once started; none for a direct connection. */
    List<Process> processes() {
        return List.of();
    }

    /**
     * The processes whose CPU time and memory the bench reads: those in between and, where they fork per connection
     * (sshd), their descendants at this moment.
     */
    List<ProcessHandle> measured() {
        return processes().stream().map(Process::toHandle).toList();
    }

    /** At most this many sequential opens per measurement, for a column whose opens are slow. */
    int maxOpens() {
        return Integer.MAX_VALUE;
    }

    /** Stops what {@link #start} started; the run also stops every child it started when it ends, whatever happened. */
    void stop() {
        processes().forEach(Children::stop);
    }

    boolean measures(String section) {
        return sections.contains(section);
    }

    @Override
    public String toString() {
        return label;
    }
}
