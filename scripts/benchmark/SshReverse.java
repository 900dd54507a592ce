package benchmark;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The peer a user would pick instead of relay: {@code ssh -R} from OpenSSH, against a throwaway {@code sshd} of the
 * run's own (its own config, host key and client key, on 127.0.0.1 and a free port), forwarding remote ports to the
 * same echo, sink and source. sshd stands where relay's outer does, the ssh client where the inner does. Both run with
 * OpenSSH's defaults for cipher and everything else a user would not touch. No UDP: ssh -R forwards TCP only.
 */
final class SshReverse extends Column {
    /** Where Debian puts sshd, which a non-root PATH may lack. */
    static final List<Path> SSHD = List.of(Path.of("/usr/sbin/sshd"), Path.of("/usr/bin/sshd"));
    /** sshd's privilege separation directory, which it refuses to start without. */
    static final Path PRIVSEP_DIR = Path.of("/run/sshd");

    static final String NOT_MEASURED = "not measured (no sshd)";
    /** Each open is a channel open across the SSH connection, tens of milliseconds each here: 48 keep the run near 5 min. */
    static final int MAX_OPENS = 48;

    static final Duration KEYGEN = Duration.ofSeconds(30);
    static final Duration START = Duration.ofSeconds(30);
    static final int PROBE_MILLIS = 1_000;
    static final long POLL_MILLIS = 50;

    private final Path sshd =
            SSHD.stream().filter(Files::isExecutable).findFirst().orElse(null);
    private final String ssh = onPath("ssh");
    private final String keygen = onPath("ssh-keygen");
    private Endpoints ports;
    private Process server;
    private Process client;

    SshReverse(String id, String label, Set<String> sections) {
        super(id, label, sections);
    }

    boolean available() {
        return sshd != null && ssh != null && keygen != null;
    }

    @Override
    boolean measures(String section) {
        return available() && super.measures(section);
    }

    @Override
    String description() {
        return available()
                ? "OpenSSH: ssh -R to a throwaway sshd on 127.0.0.1 (own keys and config), OpenSSH's defaults"
                : NOT_MEASURED + ": scripts/install-test-deps installs openssh-server";
    }

    @Override
    int maxOpens() {
        return MAX_OPENS;
    }

    @Override
    void start(Run run) throws Exception {
        if (!available()) {
            System.out.println(label + ": " + NOT_MEASURED + "; scripts/install-test-deps installs it");
            return;
        }
        if (!Files.isDirectory(PRIVSEP_DIR)) {
            Files.createDirectories(
                    PRIVSEP_DIR, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
        }
        Path dir = Files.createDirectories(run.work.resolve(id));
        Path hostKey = key(run, dir, "host_key");
        Path clientKey = key(run, dir, "client_key");
        Path authorized = Files.copy(dir.resolve("client_key.pub"), dir.resolve("authorized_keys"));
        int port = Net.freePort();
        Files.writeString(
                dir.resolve("known_hosts"),
                "[127.0.0.1]:" + port + " " + Files.readString(dir.resolve("host_key.pub")));
        Path config = Files.writeString(
                dir.resolve("sshd_config"), """
                Port %d
                ListenAddress 127.0.0.1
                HostKey %s
                PidFile %s
                AuthorizedKeysFile %s
                PubkeyAuthentication yes
                PasswordAuthentication no
                KbdInteractiveAuthentication no
                UsePAM no
                StrictModes no
                PermitRootLogin prohibit-password
                AllowTcpForwarding remote
                GatewayPorts no
                X11Forwarding no
                PermitTTY no
                LogLevel ERROR
                """.formatted(port, hostKey, dir.resolve("sshd.pid"), authorized));
        server = run.children.start(id + "-sshd", List.of(sshd.toString(), "-D", "-e", "-f", config.toString()));
        awaitListening(run, port);
        ports = new Endpoints(Net.freePort(), Net.freePort(), Net.freePort(), 0);
        Endpoints to = run.targets.ports();
        List<String> cmd = new ArrayList<>(List.of(
                ssh,
                "-N",
                "-F",
                "/dev/null",
                "-i",
                clientKey.toString(),
                "-p",
                Integer.toString(port),
                "-o",
                "BatchMode=yes",
                "-o",
                "IdentitiesOnly=yes",
                "-o",
                "UserKnownHostsFile=" + dir.resolve("known_hosts"),
                "-o",
                "StrictHostKeyChecking=yes",
                "-o",
                "ExitOnForwardFailure=yes"));
        for (int[] f :
                new int[][] {{ports.echo(), to.echo()}, {ports.sink(), to.sink()}, {ports.source(), to.source()}}) {
            cmd.addAll(List.of("-R", "127.0.0.1:" + f[0] + ":127.0.0.1:" + f[1]));
        }
        cmd.add(System.getProperty("user.name") + "@127.0.0.1");
        client = run.children.start(id + "-client", cmd);
        awaitReady(run);
        System.out.println(label + ": sshd pid " + server.pid() + " (port " + port + "), ssh pid " + client.pid());
    }

    @Override
    Endpoints ports() {
        return ports;
    }

    @Override
    List<Process> processes() {
        return Stream.of(server, client).filter(Objects::nonNull).toList();
    }

    /** sshd forks a process per connection (and one more after authentication): those carry the sessions. */
    @Override
    List<ProcessHandle> measured() {
        List<ProcessHandle> all = new ArrayList<>();
        if (server != null) {
            all.add(server.toHandle());
            server.toHandle().descendants().forEach(all::add);
        }
        if (client != null) {
            all.add(client.toHandle());
        }
        return all;
    }

    private Path key(Run run, Path dir, String name) throws Exception {
        Path key = dir.resolve(name);
        Process p = run.children.start(
                id + "-keygen-" + name, List.of(keygen, "-q", "-t", "ed25519", "-N", "", "-f", key.toString()));
        if (!p.waitFor(KEYGEN.toMillis(), TimeUnit.MILLISECONDS) || p.exitValue() != 0) {
            Children.stop(p);
            throw run.children.exited(id + "-keygen-" + name, p);
        }
        return key;
    }

    private void awaitListening(Run run, int port) throws Exception {
        long deadline = System.nanoTime() + START.toNanos();
        while (System.nanoTime() < deadline) {
            if (!server.isAlive()) {
                throw run.children.exited(id + "-sshd", server);
            }
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(Net.LOOPBACK, port), PROBE_MILLIS);
                return;
            } catch (IOException notYet) {
                Thread.sleep(POLL_MILLIS);
            }
        }
        throw new IllegalStateException("sshd did not listen on " + port + " within " + START);
    }

    /** Until one byte echoes through the forwarded echo port: ssh has logged in and its forwards are up. */
    private void awaitReady(Run run) throws Exception {
        long deadline = System.nanoTime() + START.toNanos();
        while (System.nanoTime() < deadline) {
            if (client.waitFor(POLL_MILLIS, TimeUnit.MILLISECONDS)) {
                throw run.children.exited(id + "-client", client);
            }
            try (Socket s = new Socket()) {
                s.setSoTimeout(PROBE_MILLIS);
                s.connect(new InetSocketAddress(Net.LOOPBACK, ports.echo()), PROBE_MILLIS);
                s.getOutputStream().write('r');
                if (s.getInputStream().read() == 'r') {
                    return;
                }
            } catch (IOException notYet) {
                // The forward is not up yet.
            }
        }
        throw new IllegalStateException("nothing echoed through ssh -R within " + START + "; see " + run.work);
    }

    private static String onPath(String program) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            Path p = Path.of(dir.isEmpty() ? "." : dir, program);
            if (Files.isExecutable(p)) {
                return p.toString();
            }
        }
        return null;
    }
}
