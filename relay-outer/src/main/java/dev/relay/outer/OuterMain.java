package dev.relay.outer;

import dev.relay.config.ConfigException;
import dev.relay.config.ConfigFile;
import dev.relay.config.ConfigSource;
import dev.relay.config.OuterConfig;
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

/** {@code java -jar relay-outer.jar}: parses arguments, loads the config, starts an {@link Outer}, waits for a signal. */
public final class OuterMain {
    static final String USAGE = """
            usage: java -jar relay-outer.jar [--config FILE]
                   java -jar relay-outer.jar --gen-cert [--name HOST]... [--out DIR]

            Runs the public side of relay: listens for the inner on outer.listen and for users on every
            route's listen port, as configured in FILE (default ./routes.json).

              --config FILE   the configuration file (default routes.json)
              --gen-cert      write a new self-signed certificate (relay.crt) and key (relay.key) to DIR
                              (default: the current directory) and print its fingerprint for inner.tls
              --name HOST     a DNS name or IP address the certificate names (repeatable; default localhost)
              --help          this text

            Environment: RELAY_TOKEN overrides "token" from the file.
            Exit status: 1 if a port cannot be bound, 2 for a bad command line or config, 3 after a fatal
            error (out of memory), so that a supervisor restarts it; on SIGTERM or SIGINT it stops accepting,
            closes the control channel and every session, and exits (status 143 or 130).
            """;

    private OuterMain() {}

    public static void main(String[] args) throws InterruptedException {
        Threads.exitOnFatalError();
        AtomicReference<Runnable> reload = Signals.reloadOnHangup();
        Launch launch = start(args, System.getenv(), System.out, System.err);
        if (launch.outer() == null) {
            System.exit(launch.exitStatus());
            return;
        }
        reload.set(launch.outer()::reload);
        IdleMemory.watch(launch.outer()::activeSessions);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime()
                .addShutdownHook(new Thread(
                        () -> {
                            launch.outer().close();
                            stopped.countDown();
                        },
                        "shutdown"));
        stopped.await();
    }

    /** What the command line led to: a running outer, or none and the status to exit with. */
    record Launch(Outer outer, int exitStatus) {
        static Launch exit(int status) {
            return new Launch(null, status);
        }
    }

    /** Starts an outer as the command line asks, or prints why not. */
    static Launch start(String[] args, Map<String, String> env, PrintStream out, PrintStream err) {
        String config = ConfigFile.DEFAULT_PATH;
        boolean genCert = false;
        List<String> names = new ArrayList<>();
        String outDir = ".";
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--help", "-h" -> {
                    out.print(USAGE);
                    return Launch.exit(0);
                }
                case "--gen-cert" -> genCert = true;
                case "--config", "--name", "--out" -> {
                    if (i + 1 >= args.length) {
                        return fail(err, 2, args[i] + " needs a value");
                    }
                    String value = args[++i];
                    switch (args[i - 1]) {
                        case "--config" -> config = value;
                        case "--name" -> names.add(value);
                        default -> outDir = value;
                    }
                }
                default -> {
                    return fail(err, 2, "unknown argument \"" + args[i] + "\"\n\n" + USAGE);
                }
            }
        }
        if (genCert) {
            return Launch.exit(
                    CertCommand.run(names.isEmpty() ? List.of("localhost") : names, Path.of(outDir), out, err));
        }
        OuterConfig c;
        try {
            ConfigFile file = ConfigFile.load(Path.of(config), env);
            c = file.outer();
            file.secretWarnings(Path.of(config), env)
                    .forEach(w -> LoggerFactory.getLogger(OuterMain.class).warn(w));
        } catch (ConfigException e) {
            return fail(err, 2, e.getMessage());
        }
        Path file = Path.of(config);
        ConfigSource<OuterConfig> source = new ConfigSource<>() {
            @Override
            public OuterConfig load() throws ConfigException {
                return ConfigFile.load(file, env).outer();
            }

            @Override
            public String describe() {
                return file.toAbsolutePath().normalize().toString();
            }
        };
        try {
            return new Launch(Outer.start(c, source), 0);
        } catch (TlsSetupException e) {
            // An unreadable certificate or key is a configuration error; Outer.start finds it before binding.
            return fail(err, 2, config + ": outer.tls: " + e.getMessage());
        } catch (IOException e) {
            return fail(err, 1, e.getMessage());
        }
    }

    private static Launch fail(PrintStream err, int status, String message) {
        err.println("relay-outer: " + message);
        return Launch.exit(status);
    }
}
