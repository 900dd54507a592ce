package dev.relay.inner;

import java.io.PrintStream;
import java.util.Map;

/** Lets tests in other packages run the inner's command line, which is package-private. */
public final class InnerMainAccess {
    private InnerMainAccess() {}

    /** Runs the command line with no environment; closes any inner it starts. */
    public static int run(String[] args, PrintStream out) {
        InnerMain.Launch launch = InnerMain.start(args, Map.of(), out, out);
        if (launch.inner() != null) {
            launch.inner().close();
        }
        return launch.exitStatus();
    }
}
