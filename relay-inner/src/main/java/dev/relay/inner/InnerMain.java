package dev.relay.inner;

import dev.relay.config.ConfigException;
import dev.relay.config.ConfigFile;
import dev.relay.config.ConfigSource;
import dev.relay.config.InnerConfig;
import dev.relay.net.IdleMemory;
import dev.relay.net.Signals;
import dev.relay.net.Threads;
import dev.relay.tls.TlsSetupException;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.LoggerFactory;

/** {@code java -jar relay-inner.jar}: parses arguments, loads the config, starts an {@link Inner}, waits for a signal. */
public final class InnerMain {
    static final String USAGE = """
            usage: java -jar relay-inner.jar [--config FILE] [--connect HOST:PORT]

            Runs the private side of relay: dials each outer, authenticates with the token, and opens
            connections to the routes' targets when users arrive at an outer. Reconnects forever.

              --config FILE        the configuration file (default routes.json)
              --connect HOST:PORT  an outer's control port, instead of inner.connect from the file;
                                   repeat it to connect to several outers
              --help               this text

            Environment: RELAY_TOKEN overrides "token" from the file.
            Exit status: 1 if the admin port cannot be bound, 2 for a bad command line or config; 3 after a fatal error (out of memory), so that
            a supervisor restarts it; on SIGTERM or SIGINT it closes the control channel and every session,
            and exits (status 143 or 130).
            """;

    private InnerMain() {}

    public static void main(String[] args) throws InterruptedException {
        Threads.exitOnFatalError();
        AtomicReference<Runnable> reload = Signals.reloadOnHangup();
        Launch launch = start(args, System.getenv(), System.out, System.err);
        if (launch.inner() == null) {
            System.exit(launch.exitStatus());
            return;
        }
        reload.set(launch.inner()::reload);
        IdleMemory.watch(launch.inner()::activeSessions);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime()
                .addShutdownHook(new Thread(
                        () -> {
                            launch.inner().close();
                            stopped.countDown();
                        },
                        "shutdown"));
        stopped.await();
    }

    /** What the command line led to: a running inner, or none and the status to exit with. */
    record Launch(Inner inner, int exitStatus) {
        static Launch exit(int status) {
            return new Launch(null, status);
        }
    }

    /** Starts an inner as the command line asks, or prints why not. */
    static Launch start(String[] args, Map<String, String> env, PrintStream out, PrintStream err) {
        String config = ConfigFile.DEFAULT_PATH;
        List<String> connect = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--help", "-h" -> {
                    out.print(USAGE);
                    return Launch.exit(0);
                }
                case "--config", "--connect" -> {
                    if (i + 1 >= args.length) {
                        return fail(err, 2, args[i] + " needs a value");
                    }
                    if (args[i].equals("--config")) {
                        config = args[++i];
                    } else {
                        connect.add(args[++i]);
                    }
                }
                default -> {
                    return fail(err, 2, "unknown argument \"" + args[i] + "\"\n\n" + USAGE);
                }
            }
        }
        InnerConfig c;
        Path file = Path.of(config);
        try {
            ConfigFile loaded = ConfigFile.load(file, env);
            c = loaded.innerOverriding(connect);
            loaded.secretWarnings(file, env)
                    .forEach(w -> LoggerFactory.getLogger(InnerMain.class).warn(w));
        } catch (ConfigException e) {
            return fail(err, 2, e.getMessage());
        }
        List<String> override = List.copyOf(connect);
        ConfigSource<InnerConfig> source = new ConfigSource<>() {
            @Override
            public InnerConfig load() throws ConfigException {
                return ConfigFile.load(file, env).innerOverriding(override);
            }

            @Override
            public String describe() {
                return file.toAbsolutePath().normalize().toString();
            }
        };
        try {
            return new Launch(Inner.start(c, source), 0);
        } catch (TlsSetupException e) {
            return fail(err, 2, config + ": inner.tls: " + e.getMessage());
        } catch (IOException e) {
            return fail(err, 1, e.getMessage());
        }
    }

    private static Launch fail(PrintStream err, int status, String message) {
        err.println("relay-inner: " + message);
        return Launch.exit(status);
    }
}
