import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.relay.config.ClientTls;
import dev.relay.config.ServerTls;
import dev.relay.net.IdleMemory;
import dev.relay.tls.Tls;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import org.slf4j.LoggerFactory;

/**
 * The memory floor `make bench` holds relay's idle figure against: a JVM started as relay is, that uses the libraries
 * the project is fixed to the way relay uses them at start, then idles with relay's own housekeeping, and does nothing
 * else. It reads a relay config with Jackson (a tree and back), logs one line through slf4j-simple and, given a
 * certificate, its key ({@code relay --gen-cert}'s PEM files) and its fingerprint, builds relay's outer and inner
 * TLS 1.3 contexts (dev.relay.tls.Tls, a few classes of relay's own) and makes one handshake between them over
 * loopback. Then {@link IdleMemory} shrinks the heap and trims the C heap, as in relay. Run with relay-outer.jar on
 * the class path, and the jar manifest's {@code Add-Opens} given on the command line
 * ({@code --add-opens jdk.management/com.sun.management.internal=ALL-UNNAMED}).
 *
 * <p>Usage: {@code LibrariesIdle CONFIG [CERT KEY FINGERPRINT]}. Prints "ready" when it has done its work.
 */
public class LibrariesIdle {
    public static void main(String[] args) throws Exception {
        ObjectMapper json = new ObjectMapper();
        JsonNode config = json.readTree(Files.readAllBytes(Path.of(args[0])));
        byte[] again = json.writeValueAsBytes(config);
        LoggerFactory.getLogger(LibrariesIdle.class).info("read {} bytes of config", again.length);
        if (args.length == 4) {
            // relay's own contexts, as its outer and inner build them: the certificate and key, and the pin.
            handshake(
                    Tls.server(ServerTls.pem(Path.of(args[1]), Path.of(args[2]))),
                    Tls.client(ClientTls.pinned(args[3])));
        }
        IdleMemory.watch(() -> 0);
        System.out.println("ready");
        Thread.currentThread().join();
    }

    static void handshake(SSLContext server, SSLContext client) throws Exception {
        try (SSLServerSocket listening = (SSLServerSocket)
                server.getServerSocketFactory().createServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Thread accepting = Thread.ofVirtual().start(() -> {
                try (SSLSocket s = (SSLSocket) listening.accept()) {
                    s.getOutputStream().write(s.getInputStream().read());
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            });
            try (SSLSocket s = (SSLSocket) client.getSocketFactory()
                    .createSocket(InetAddress.getLoopbackAddress(), listening.getLocalPort())) {
                s.getOutputStream().write(1);
                if (s.getInputStream().read() != 1) {
                    throw new IOException("no echo over TLS");
                }
            }
            accepting.join();
        }
    }
}
