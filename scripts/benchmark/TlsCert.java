package benchmark;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

/** The outer's certificate and key as {@code --gen-cert} wrote them, and the fingerprint it printed for the inner to pin. */
record TlsCert(Path cert, Path key, String fingerprint) {
    static final String FINGERPRINT_LINE = "fingerprint: ";
    /** The name the inner dials: the bench's children all listen on 127.0.0.1. */
    static final String NAME = "127.0.0.1";
    /** Making a key pair and signing a certificate takes a JVM start and a moment. */
    static final Duration GENERATE = Duration.ofSeconds(60);

    static final int PROBE_TIMEOUT_MILLIS = 5_000;
    /** How much of the fingerprint the bench prints: enough to tell two apart. */
    static final int SHOWN = 22;

    /** Runs {@code relay-outer.jar --gen-cert} as a user would, into the directory {@code name} of the run. */
    static TlsCert generate(Run run, String name) throws Exception {
        Path dir = run.work.resolve(name);
        List<String> cmd = Children.java(
                List.of(), "-jar", run.outerJar().toString(), "--gen-cert", "--name", NAME, "--out", dir.toString());
        Process gen = run.children.start(name, cmd);
        if (!gen.waitFor(GENERATE.toMillis(), TimeUnit.MILLISECONDS) || gen.exitValue() != 0) {
            Children.stop(gen);
            throw run.children.exited(name, gen);
        }
        String fingerprint = Files.readAllLines(run.children.log(name)).stream()
                .filter(l -> l.startsWith(FINGERPRINT_LINE))
                .map(l -> l.substring(FINGERPRINT_LINE.length()).trim())
                .findFirst()
                .orElseThrow(() -> new IllegalStateException("--gen-cert printed no fingerprint"));
        return new TlsCert(
                dir.resolve("relay.crt").toAbsolutePath(),
                dir.resolve("relay.key").toAbsolutePath(),
                fingerprint);
    }

    /**
     * Checks that the outer's control port speaks TLS 1.3 with this certificate: one handshake from the bench, which
     * then closes the connection (the outer logs it as dropped before authenticating). The outer says "(TLS 1.3)" in its
     * "listening for inners" line too, but that INFO line is muted with the per-session ones.
     */
    String probe(int port) throws Exception {
        X509Certificate[] presented = new X509Certificate[1];
        SSLContext ctx = SSLContext.getInstance("TLSv1.3");
        ctx.init(null, new TrustManager[] {recording(presented)}, null);
        try (SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket()) {
            s.connect(new InetSocketAddress(Net.LOOPBACK, port), PROBE_TIMEOUT_MILLIS);
            s.setSoTimeout(PROBE_TIMEOUT_MILLIS);
            s.startHandshake();
            String protocol = s.getSession().getProtocol();
            String seen = "sha256:"
                    + HexFormat.ofDelimiter(":")
                            .withUpperCase()
                            .formatHex(MessageDigest.getInstance("SHA-256").digest(presented[0].getEncoded()));
            if (!protocol.equals("TLSv1.3") || !seen.equalsIgnoreCase(fingerprint)) {
                throw new IllegalStateException("the TLS control port spoke " + protocol + " with certificate " + seen
                        + ", expected TLSv1.3 and " + fingerprint);
            }
            return protocol + " (" + s.getSession().getCipherSuite() + "), certificate " + seen.substring(0, SHOWN)
                    + "… as pinned";
        }
    }

    /** Trusts any server certificate and keeps it in {@code presented}, for {@link #probe} to compare with the pin. */
    private static TrustManager recording(X509Certificate[] presented) {
        return new X509TrustManager() {
            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType) {
                throw new UnsupportedOperationException();
            }

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType) {
                presented[0] = chain[0];
            }

            @Override
            public X509Certificate[] getAcceptedIssuers() {
                return new X509Certificate[0];
            }
        };
    }
}
