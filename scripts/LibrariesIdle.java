import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.relay.net.IdleMemory;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.slf4j.LoggerFactory;

/**
 * The memory floor `make bench` holds relay's idle figure against: a JVM started as relay is, that uses the libraries
 * the project is fixed to the way relay uses them at start, then idles with relay's own housekeeping, and does nothing
 * else. It reads a relay config with Jackson (a tree and back), logs one line through slf4j-simple and, given a
 * certificate and key ({@code relay --gen-cert}'s PEM files), builds an outer's and an inner's TLS 1.3 context and
 * makes one handshake between them over loopback. Then {@link IdleMemory} shrinks the heap and trims the C heap, as
 * in relay. Run with relay-outer.jar on the class path, and the jar manifest's {@code Add-Opens} given on the command
 * line ({@code --add-opens jdk.management/com.sun.management.internal=ALL-UNNAMED}).
 *
 * <p>Usage: {@code LibrariesIdle CONFIG [CERT KEY]}. Prints "ready" when it has done its work.
 */
public class LibrariesIdle {
    public static void main(String[] args) throws Exception {
        ObjectMapper json = new ObjectMapper();
        JsonNode config = json.readTree(Files.readAllBytes(Path.of(args[0])));
        byte[] again = json.writeValueAsBytes(config);
        LoggerFactory.getLogger(LibrariesIdle.class).info("read {} bytes of config", again.length);
        if (args.length == 3) {
            handshake(serverContext(Path.of(args[1]), Path.of(args[2])), clientContext(Path.of(args[1])));
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

    static SSLContext serverContext(Path certFile, Path keyFile) throws Exception {
        Certificate cert = certificate(certFile);
        String pem =
                Files.readString(keyFile).replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
        PrivateKey key = KeyFactory.getInstance(cert.getPublicKey().getAlgorithm())
                .generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(pem)));
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setKeyEntry("outer", key, new char[0], new Certificate[] {cert});
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, new char[0]);
        SSLContext ctx = SSLContext.getInstance("TLSv1.3");
        ctx.init(kmf.getKeyManagers(), null, null);
        return ctx;
    }

    /** Trusts the one certificate: what pinning it comes to, with the JDK's own trust manager. */
    static SSLContext clientContext(Path certFile) throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setCertificateEntry("outer", certificate(certFile));
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ks);
        SSLContext ctx = SSLContext.getInstance("TLSv1.3");
        ctx.init(null, tmf.getTrustManagers(), null);
        return ctx;
    }

    static Certificate certificate(Path file) throws Exception {
        try (InputStream in = Files.newInputStream(file)) {
            return CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
    }
}
