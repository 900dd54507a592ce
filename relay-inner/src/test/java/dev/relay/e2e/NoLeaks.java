package dev.relay.e2e;

import dev.relay.net.Threads;
import dev.relay.protocol.Frames;
import dev.relay.protocol.Message;
import dev.relay.protocol.Nonce;
import java.io.File;
import java.net.InetAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.slf4j.LoggerFactory;

/**
 * After each test no relay thread may be left running, and the process holds no more file descriptors (sockets
 * included) than before the class started.
 */
final class NoLeaks implements BeforeAllCallback, AfterEachCallback, AfterAllCallback {
    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(NoLeaks.class);

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        warmUp();
        context.getStore(NS).put("fds", openFiles());
    }

    /**
     * Opens, once, what the JDK and libraries keep open for the life of the process (library jars, the random
     * devices, the virtual-thread pollers), so that the count measures only what relay opens.
     */
    private static void warmUp() throws Exception {
        Frames.encode(new Message.Heartbeat());
        Nonce.next();
        LoggerFactory.getLogger(NoLeaks.class).debug("warm");
        try (Target echo = Target.echo();
                ExecutorService vt = Executors.newVirtualThreadPerTaskExecutor()) {
            vt.submit(() -> {
                        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), echo.port())) {
                            s.getOutputStream().write(1);
                            return s.getInputStream().read();
                        }
                    })
                    .get();
        }
    }

    @Override
    public void afterEach(ExtensionContext context) {
        Await.until(
                "relay threads to end (live: " + Threads.live() + ")",
                Duration.ofSeconds(10),
                () -> Threads.live() == 0);
        Await.until(
                "no outer-timer thread",
                Duration.ofSeconds(10),
                () -> Thread.getAllStackTraces().keySet().stream()
                        .noneMatch(t -> t.getName().equals("outer-timer")));
        assertNoOpenFilesLeft(context.getParent().orElseThrow());
    }

    @Override
    public void afterAll(ExtensionContext context) {
        assertNoOpenFilesLeft(context);
    }

    private static void assertNoOpenFilesLeft(ExtensionContext classContext) {
        int before = classContext.getStore(NS).get("fds", Integer.class);
        try {
            Await.until("open files back to " + before, Duration.ofSeconds(10), () -> openFiles() <= before);
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "; open now: " + describeOpenFiles(), e);
        }
    }

    /** Every open descriptor, and for sockets their TCP addresses and state, to say what leaked. */
    private static String describeOpenFiles() {
        java.util.Map<String, String> tcp = tcpSockets();
        StringBuilder b = new StringBuilder();
        for (File f : new File("/proc/self/fd").listFiles()) {
            String target;
            try {
                target = java.nio.file.Files.readSymbolicLink(f.toPath()).toString();
            } catch (java.io.IOException e) {
                target = "?";
            }
            b.append(f.getName()).append("->").append(target);
            if (target.startsWith("socket:[")) {
                b.append(' ').append(tcp.getOrDefault(target.substring(8, target.length() - 1), ""));
            }
            b.append("; ");
        }
        return b.toString();
    }

    /** TCP sockets by inode: local and remote hex address and state, from /proc/net/tcp{,6}. */
    private static java.util.Map<String, String> tcpSockets() {
        java.util.Map<String, String> byInode = new java.util.HashMap<>();
        for (String table : new String[] {"/proc/net/tcp", "/proc/net/tcp6"}) {
            try (var in = java.nio.file.Files.newInputStream(java.nio.file.Path.of(table))) {
                for (String line : new String(in.readAllBytes()).split("\n")) {
                    String[] f = line.trim().split("\\s+");
                    if (f.length > 9 && !f[0].equals("sl")) {
                        byInode.put(f[9], f[1] + "->" + f[2] + " st=" + f[3]);
                    }
                }
            } catch (java.io.IOException e) {
                // Without the table the descriptor list alone still says a socket leaked.
            }
        }
        return byInode;
    }

    /**
     * How many descriptors this process holds now. Without Linux's /proc it fails the test rather than return a
     * number that would make every descriptor check pass.
     */
    static int openFiles() {
        String[] fds = new File("/proc/self/fd").list();
        if (fds == null) {
            throw new AssertionError("cannot count this process's open file descriptors: /proc/self/fd is not readable;"
                    + " the leak checks need Linux's /proc");
        }
        return fds.length;
    }
}
