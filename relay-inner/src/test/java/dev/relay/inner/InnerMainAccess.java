package dev.relay.inner;

import java.io.PrintStream;
import java.util.Map;

/** Lets tests in other packages run the inner's command line, which is package-private. */
public final class InnerMainAccess {
    private InnerMainAccess() {}

    /** Runs the command line with no environment; closes any inner it starts. */
    public static int run(String[] args, PrintStream out) {
        Inner inner = InnerMain.start(args, Map.of(), out, out);
        if (inner != null) {
            inner.close();
        }
        return InnerMain.lastExit;
    }
}
