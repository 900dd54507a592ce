package dev.relay.tls;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class SelfSignedTest {
    private static final List<String> NAMES = List.of("localhost", "127.0.0.1", "::1", "relay.example.com");
    private static final Duration VALIDITY = Duration.ofDays(30);
    private static final char[] PASSWORD = "test".toCharArray();
    private static final int TIMEOUT_MILLIS = 10_000;

    private static SelfSigned generated;

    @BeforeAll
    static void generate() throws GeneralSecurityException {
        generated = SelfSigned.generate(NAMES, VALIDITY);
    }

    @Test
    void isAnX509v3CertificateTheJdkParses() throws Exception {
        X509Certificate cert = generated.certificate();
        assertEquals(3, cert.getVersion());
        assertEquals("SHA256withECDSA", cert.getSigAlgName());
        assertEquals("1.2.840.10045.4.3.2", cert.getSigAlgOID());
        assertEquals(null, cert.getSigAlgParams());
        assertEquals("CN=localhost", cert.getSubjectX500Principal().getName());
        assertEquals(cert.getSubjectX500Principal(), cert.getIssuerX500Principal());
        assertTrue(cert.getSerialNumber().signum() > 0);
        assertEquals(16, cert.getSerialNumber().toByteArray().length);
        assertEquals(
                256,
                ((ECPublicKey) cert.getPublicKey())
                        .getParams()
                        .getCurve()
                        .getField()
                        .getFieldSize());
        X509Certificate reparsed = (X509Certificate) CertificateFactory.getInstance("X.509")
                .generateCertificate(new ByteArrayInputStream(cert.getEncoded()));
        assertEquals(cert, reparsed);
    }

    @Test
    void verifiesWithItsOwnKey() throws Exception {
        generated.certificate().verify(generated.certificate().getPublicKey());
    }

    @Test
    void serialsAreRandom() throws Exception {
        SelfSigned other = SelfSigned.generate(List.of("localhost"), VALIDITY);
        assertNotEquals(
                generated.certificate().getSerialNumber(), other.certificate().getSerialNumber());
    }

    @Test
    void namesEveryDnsNameAndIpAddress() throws Exception {
        Set<String> dns = new HashSet<>();
        Set<InetAddress> ips = new HashSet<>();
        for (List<?> san : generated.certificate().getSubjectAlternativeNames()) {
            switch ((Integer) san.get(0)) {
                case 2 -> dns.add((String) san.get(1));
                case 7 -> ips.add(InetAddress.getByName((String) san.get(1)));
                default -> throw new AssertionError("unexpected name " + san);
            }
        }
        assertEquals(Set.of("localhost", "relay.example.com"), dns);
        assertEquals(Set.of(InetAddress.getByName("127.0.0.1"), InetAddress.getByName("::1")), ips);
    }

    @Test
    void isValidFromBeforeNowUntilTheValidityEnds() throws Exception {
        X509Certificate cert = generated.certificate();
        cert.checkValidity();
        Instant now = Instant.now();
        Instant notBefore = cert.getNotBefore().toInstant();
        Instant notAfter = cert.getNotAfter().toInstant();
        assertTrue(notBefore.isBefore(now.minus(Duration.ofMinutes(59))), notBefore.toString());
        assertTrue(notBefore.isAfter(now.minus(Duration.ofMinutes(61))), notBefore.toString());
        Duration fromExpected = Duration.between(now.plus(VALIDITY), notAfter).abs();
        assertTrue(fromExpected.compareTo(Duration.ofMinutes(1)) < 0, notAfter.toString());
    }

    @Test
    void datesFrom2050AreGeneralizedTime() throws Exception {
        Duration fortyYears = Duration.ofDays(40 * 366);
        X509Certificate cert =
                SelfSigned.generate(List.of("localhost"), fortyYears).certificate();
        Duration fromExpected = Duration.between(
                        Instant.now().plus(fortyYears), cert.getNotAfter().toInstant())
                .abs();
        assertTrue(
                fromExpected.compareTo(Duration.ofMinutes(1)) < 0,
                cert.getNotAfter().toString());
    }

    @Test
    void isAServerCertificateNotACa() throws Exception {
        X509Certificate cert = generated.certificate();
        assertEquals(-1, cert.getBasicConstraints());
        boolean[] keyUsage = cert.getKeyUsage();
        assertTrue(keyUsage[0], "digitalSignature");
        for (int i = 1; i < keyUsage.length; i++) {
            assertFalse(keyUsage[i], "key usage bit " + i);
        }
        assertEquals(List.of("1.3.6.1.5.5.7.3.1"), cert.getExtendedKeyUsage());
        assertEquals(Set.of("2.5.29.15", "2.5.29.19"), cert.getCriticalExtensionOIDs());
        assertEquals(Set.of("2.5.29.17", "2.5.29.37"), cert.getNonCriticalExtensionOIDs());
    }

    @Test
    void theKeyPemIsPkcs8() throws Exception {
        String pem = generated.keyPem();
        assertTrue(pem.startsWith("-----BEGIN PRIVATE KEY-----\n"), pem);
        assertTrue(pem.endsWith("\n-----END PRIVATE KEY-----\n"), pem);
        PrivateKey key = KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(pemBody(pem)));
        assertEquals(generated.key(), key);
        assertArrayEquals(generated.key().getEncoded(), key.getEncoded());
    }

    @Test
    void theCertificatePemIsWrappedAt64Columns() throws Exception {
        String pem = generated.certificatePem();
        List<String> lines = pem.lines().toList();
        assertEquals("-----BEGIN CERTIFICATE-----", lines.get(0));
        assertEquals("-----END CERTIFICATE-----", lines.get(lines.size() - 1));
        for (int i = 1; i < lines.size() - 2; i++) {
            assertEquals(64, lines.get(i).length(), "line " + i);
        }
        assertTrue(lines.get(lines.size() - 2).length() <= 64);
        Certificate cert = CertificateFactory.getInstance("X.509")
                .generateCertificate(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)));
        assertEquals(generated.certificate(), cert);
    }

    @Test
    void rejectsBadArguments() {
        assertThrows(IllegalArgumentException.class, () -> SelfSigned.generate(List.of(), VALIDITY));
        assertThrows(IllegalArgumentException.class, () -> SelfSigned.generate(List.of("a b"), VALIDITY));
        assertThrows(IllegalArgumentException.class, () -> SelfSigned.generate(List.of(""), VALIDITY));
        assertThrows(IllegalArgumentException.class, () -> SelfSigned.generate(List.of("localhost"), Duration.ZERO));
    }

    @Test
    void aTls13HandshakeSucceedsForANameItCarries() throws Exception {
        try (SSLServerSocket server = listen()) {
            CompletableFuture<String> served = serveOne(server);
            try (SSLSocket client = connect(server, "localhost")) {
                client.getOutputStream().write("ping\n".getBytes(StandardCharsets.US_ASCII));
                client.getOutputStream().flush();
                assertEquals("pong:ping", readLine(client.getInputStream()));
                assertEquals("TLSv1.3", client.getSession().getProtocol());
                assertEquals(generated.certificate(), client.getSession().getPeerCertificates()[0]);
            }
            assertEquals("TLSv1.3", served.get(TIMEOUT_MILLIS, TimeUnit.MILLISECONDS));
        }
    }

    @Test
    void aClientExpectingAnotherNameFailsHostnameVerification() throws Exception {
        try (SSLServerSocket server = listen()) {
            CompletableFuture<String> served = serveOne(server);
            try (SSLSocket client = connect(server, "other.example")) {
                SSLHandshakeException e = assertThrows(SSLHandshakeException.class, client::startHandshake);
                assertTrue(e.getMessage().contains("other.example"), e.getMessage());
            }
            ExecutionException serverSide =
                    assertThrows(ExecutionException.class, () -> served.get(TIMEOUT_MILLIS, TimeUnit.MILLISECONDS));
            assertTrue(
                    serverSide.getCause() instanceof IOException,
                    serverSide.getCause().toString());
        }
    }

    private static SSLServerSocket listen() throws Exception {
        KeyStore keys = KeyStore.getInstance("PKCS12");
        keys.load(null, null);
        keys.setKeyEntry("relay", generated.key(), PASSWORD, new Certificate[] {generated.certificate()});
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(keys, PASSWORD);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(kmf.getKeyManagers(), null, null);
        SSLServerSocket server =
                (SSLServerSocket) context.getServerSocketFactory().createServerSocket();
        server.bind(new InetSocketAddress("127.0.0.1", 0));
        return server;
    }

    /** On its own thread: answers one line with "pong:" + the line, and completes with the negotiated protocol. */
    private static CompletableFuture<String> serveOne(SSLServerSocket server) {
        CompletableFuture<String> result = new CompletableFuture<>();
        Thread.ofVirtual().name("tls-test-server").start(() -> {
            try (SSLSocket s = (SSLSocket) server.accept()) {
                s.setSoTimeout(TIMEOUT_MILLIS);
                String line = readLine(s.getInputStream());
                OutputStream out = s.getOutputStream();
                out.write(("pong:" + line + "\n").getBytes(StandardCharsets.US_ASCII));
                out.flush();
                result.complete(s.getSession().getProtocol());
            } catch (Throwable t) {
                result.completeExceptionally(t);
            }
        });
        return result;
    }

    /** A client trusting exactly the generated certificate, checking that the server is {@code expectedName}. */
    private static SSLSocket connect(SSLServerSocket server, String expectedName) throws Exception {
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("relay", generated.certificate());
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, tmf.getTrustManagers(), null);

        Socket plain = new Socket();
        plain.connect(server.getLocalSocketAddress(), TIMEOUT_MILLIS);
        plain.setSoTimeout(TIMEOUT_MILLIS);
        // Layering over a connected socket lets the client expect any name while connecting to 127.0.0.1.
        SSLSocket client =
                (SSLSocket) context.getSocketFactory().createSocket(plain, expectedName, server.getLocalPort(), true);
        SSLParameters params = client.getSSLParameters();
        params.setEndpointIdentificationAlgorithm("HTTPS");
        params.setServerNames(List.of(new SNIHostName(expectedName)));
        client.setSSLParameters(params);
        return client;
    }

    private static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        for (int b = in.read(); b != '\n'; b = in.read()) {
            if (b < 0) {
                throw new IOException("end of stream before a newline");
            }
            line.write(b);
        }
        return line.toString(StandardCharsets.US_ASCII);
    }

    private static byte[] pemBody(String pem) {
        String body = pem.replaceAll("-----(BEGIN|END) [A-Z ]+-----", "").replaceAll("\\s", "");
        return Base64.getDecoder().decode(body);
    }
}
