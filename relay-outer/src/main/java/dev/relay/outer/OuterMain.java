package dev.relay.outer;

import dev.relay.config.ConfigException;
import dev.relay.config.ConfigFile;
import dev.relay.config.OuterConfig;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/** {@code java -jar relay-outer.jar}: parses arguments, loads the config, starts an {@link Outer}, waits for a signal. */
public final class OuterMain {
    static final String USAGE = """
            usage: java -jar relay-outer.jar [--config FILE]

            Runs the public side of relay: listens for the inner on outer.listen and for users on every
            route's listen port, as configured in FILE (default ./routes.json).

              --config FILE   the configuration file (default routes.json)
              --help          this text

            Environment: RELAY_TOKEN overrides "token" from the file.
            Exit status: 0 after SIGTERM/SIGINT, 1 if a port cannot be bound, 2 for a bad command line or config.
            """;

    private OuterMain() {
    }

    public static void main(String[] args) throws InterruptedException {
        CountDownLatch stopped = new CountDownLatch(1);
        Outer outer = start(args, System.getenv(), System.out, System.err);
        if (outer == null) {
            System.exit(lastExit);
            return;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            outer.close();
            stopped.countDown();
        }, "shutdown"));
        stopped.await();
    }

    static int lastExit;

    /** Starts an outer as the command line asks, or prints why not and returns null with {@link #lastExit} set. */
    static Outer start(String[] args, Map<String, String> env, PrintStream out, PrintStream err) {
        String config = ConfigFile.DEFAULT_PATH;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--help", "-h" -> {
                    out.print(USAGE);
                    lastExit = 0;
                    return null;
                }
                case "--config" -> {
                    if (i + 1 >= args.length) {
                        return fail(err, 2, "--config needs a file name");
                    }
                    config = args[++i];
                }
                default -> {
                    return fail(err, 2, "unknown argument \"" + args[i] + "\"\n\n" + USAGE);
                }
            }
        }
        OuterConfig c;
        try {
            c = ConfigFile.load(Path.of(config), env).outer();
        } catch (ConfigException e) {
            return fail(err, 2, e.getMessage());
        }
        try {
            return Outer.start(c);
        } catch (IOException e) {
            return fail(err, 1, e.getMessage());
        }
    }

    private static Outer fail(PrintStream err, int status, String message) {
        err.println("relay-outer: " + message);
        lastExit = status;
        return null;
    }
}
