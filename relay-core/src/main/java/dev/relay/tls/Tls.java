package dev.relay.tls;

import dev.relay.config.ClientTls;
import dev.relay.config.HostPort;
import dev.relay.config.ServerTls;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.file.Files;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * TLS 1.3 between inner and outer, with the JDK's own JSSE. Both sides make one {@link SSLContext} at start and use it
 * for every connection, so the inner's later connections resume the first one's session instead of repeating the
 * full handshake.
 */
public final class Tls {
    /** The only protocol offered or accepted. */
    public static final String PROTOCOL = "TLSv1.3";
    /** The first byte of every TLS connection (a handshake record); no relay frame starts with it. */
    public static final int HANDSHAKE_RECORD = 0x16;

    private Tls() {}

    /** The outer's context, from its certificate and key. */
    public static SSLContext server(ServerTls tls) throws TlsSetupException {
        try {
            KeyStore ks;
            char[] password;
            if (tls.keystore() != null) {
                password = tls.password() == null ? new char[0] : tls.password().toCharArray();
                ks = KeyStore.getInstance("PKCS12");
                try (InputStream in = Files.newInputStream(tls.keystore())) {
                    ks.load(in, password);
                } catch (IOException e) {
                    throw new IOException(
                            tls.keystore() + ": cannot open keystore (wrong password or not PKCS#12): "
                                    + e.getMessage(),
                            e);
                }
            } else {
                List<X509Certificate> chain = Pem.certificates(tls.cert());
                PrivateKey key = Pem.privateKey(tls.key());
                if (!chain.get(0).getPublicKey().getAlgorithm().equals(keyAlgorithm(key))) {
                    throw new IOException(tls.key() + ": a " + key.getAlgorithm() + " key does not match the "
                            + chain.get(0).getPublicKey().getAlgorithm() + " certificate in " + tls.cert());
                }
                password = new char[0];
                ks = KeyStore.getInstance("PKCS12");
                ks.load(null, null);
                ks.setKeyEntry("relay", key, password, chain.toArray(new X509Certificate[0]));
            }
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(ks, password);
            SSLContext ctx = SSLContext.getInstance(PROTOCOL);
            ctx.init(kmf.getKeyManagers(), null, null);
            return ctx;
        } catch (IOException | GeneralSecurityException e) {
            throw new TlsSetupException(e.getMessage(), e);
        }
    }

    /** The inner's context: trusts the configured CA, or exactly the pinned certificate. */
    public static SSLContext client(ClientTls tls) throws TlsSetupException {
        try {
            TrustManager[] trust;
            if (tls.fingerprint() != null) {
                trust = new TrustManager[] {new Pinned(tls.fingerprint())};
            } else {
                KeyStore ks = KeyStore.getInstance("PKCS12");
                ks.load(null, null);
                int i = 0;
                for (X509Certificate c : Pem.certificates(tls.ca())) {
                    ks.setCertificateEntry("ca-" + i++, c);
                }
                TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
                tmf.init(ks);
                trust = tmf.getTrustManagers();
            }
            SSLContext ctx = SSLContext.getInstance(PROTOCOL);
            ctx.init(null, trust, null);
            return ctx;
        } catch (IOException | GeneralSecurityException e) {
            throw new TlsSetupException(e.getMessage(), e);
        }
    }

    /**
     * Server side: TLS over an accepted socket whose first byte was already read (to tell TLS from plain frames).
     * The handshake runs at once; the caller bounds it with a deadline.
     */
    public static SSLSocket accept(SSLContext ctx, Socket plain, int firstByte) throws IOException {
        SSLSocket s = (SSLSocket) ctx.getSocketFactory()
                .createSocket(plain, new ByteArrayInputStream(new byte[] {(byte) firstByte}), true);
        s.setEnabledProtocols(new String[] {PROTOCOL});
        s.startHandshake();
        return s;
    }

    /**
     * Client side: TLS over a connected socket to {@code outer}. With a CA the outer's certificate must name the host
     * dialled; with a pinned fingerprint only the fingerprint counts. Nothing is sent until the outer is verified.
     */
    public static SSLSocket connect(SSLContext ctx, Socket plain, HostPort outer, boolean checkHostName)
            throws IOException {
        SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket(plain, outer.host(), outer.port(), true);
        s.setEnabledProtocols(new String[] {PROTOCOL});
        if (checkHostName) {
            SSLParameters p = s.getSSLParameters();
            p.setEndpointIdentificationAlgorithm("HTTPS");
            s.setSSLParameters(p);
        }
        s.startHandshake();
        return s;
    }

    /** The pinning failure inside a handshake exception, if that is what it was. */
    public static FingerprintMismatch mismatch(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof FingerprintMismatch m) {
                return m;
            }
        }
        return null;
    }

    private static String keyAlgorithm(PrivateKey key) {
        return key.getAlgorithm().equals("EdDSA") ? "Ed25519" : key.getAlgorithm();
    }

    /** Trusts exactly one certificate, by SHA-256 fingerprint of its DER encoding, whatever its names or issuer. */
    private static final class Pinned extends X509ExtendedTrustManager implements X509TrustManager {
        private final String expected;

        Pinned(String expected) {
            this.expected = expected;
        }

        private void check(X509Certificate[] chain) throws CertificateException {
            if (chain == null || chain.length == 0) {
                throw new CertificateException("the outer presented no certificate");
            }
            String presented = Fingerprint.of(chain[0]);
            if (!presented.equals(expected)) {
                throw new FingerprintMismatch(presented, expected);
            }
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            check(chain);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
                throws CertificateException {
            check(chain);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
                throws CertificateException {
            check(chain);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            throw new CertificateException("the inner does not accept client connections");
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
                throws CertificateException {
            checkClientTrusted(chain, authType);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
                throws CertificateException {
            checkClientTrusted(chain, authType);
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }
}
