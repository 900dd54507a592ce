package dev.relay.tls;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.HexFormat;
import java.util.Locale;

/** SHA-256 certificate fingerprints, written {@code sha256:AB:CD:...} as openssl and browsers show them. */
public final class Fingerprint {
    private static final String PREFIX = "sha256:";

    private Fingerprint() {}

    /** The fingerprint of a certificate's DER encoding. */
    public static String of(X509Certificate cert) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(cert.getEncoded());
            return PREFIX + HexFormat.ofDelimiter(":").withUpperCase().formatHex(digest);
        } catch (NoSuchAlgorithmException | CertificateEncodingException e) {
            throw new IllegalStateException("cannot fingerprint certificate", e);
        }
    }

    /**
     * The canonical form of a fingerprint given by a user: prefix optional, colons optional, any case. Rejects
     * anything that is not 32 bytes of hex, so a truncated paste is caught at start, not at first connection.
     */
    public static String normalize(String text) {
        String t = text.trim();
        if (t.toLowerCase(Locale.ROOT).startsWith(PREFIX)) {
            t = t.substring(PREFIX.length());
        }
        String hex = t.replace(":", "");
        if (hex.length() != 64 || !hex.chars().allMatch(c -> Character.digit(c, 16) >= 0 && c < 128)) {
            throw new IllegalArgumentException(
                    "inner.tls.fingerprint: expected \"sha256:\" and 32 hex bytes, got \"" + text + "\"");
        }
        return PREFIX
                + HexFormat.ofDelimiter(":")
                        .withUpperCase()
                        .formatHex(HexFormat.of().parseHex(hex.toLowerCase(Locale.ROOT)));
    }
}
