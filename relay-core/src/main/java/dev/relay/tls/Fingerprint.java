package dev.relay.tls;

import dev.relay.config.ClientTls;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.HexFormat;

/** SHA-256 certificate fingerprints, written as {@link ClientTls#fingerprint} expects them. */
public final class Fingerprint {
    private Fingerprint() {}

    /** The fingerprint of a certificate's DER encoding. */
    public static String of(X509Certificate cert) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(cert.getEncoded());
            return ClientTls.FINGERPRINT_PREFIX
                    + HexFormat.ofDelimiter(":").withUpperCase().formatHex(digest);
        } catch (NoSuchAlgorithmException | CertificateEncodingException e) {
            throw new IllegalStateException("cannot fingerprint certificate", e);
        }
    }
}
