package dev.relay.config;

import java.nio.file.Path;
import java.util.HexFormat;
import java.util.Locale;

/**
 * How the inner verifies the outer: a CA or certificate file (PEM), with the usual host name check; or a pinned
 * SHA-256 certificate fingerprint, like an SSH known host. Exactly one is set.
 */
public record ClientTls(Path ca, String fingerprint) {
    /** How a fingerprint is written, as openssl and browsers show it: {@code sha256:AB:CD:...}. */
    public static final String FINGERPRINT_PREFIX = "sha256:";

    private static final int SHA256_HEX_DIGITS = 64;

    public ClientTls {
        if ((ca == null) == (fingerprint == null)) {
            throw new IllegalArgumentException("inner.tls: give exactly one of ca (a PEM certificate file) or "
                    + "fingerprint (\"sha256:AB:CD:...\")");
        }
        if (fingerprint != null) {
            fingerprint = normalize(fingerprint);
        }
    }

    /** Trust exactly the certificate whose SHA-256 fingerprint this is. */
    public static ClientTls pinned(String fingerprint) {
        return new ClientTls(null, fingerprint);
    }

    /** Trust certificates issued by (or equal to) those in this PEM file, for the host name dialled. */
    public static ClientTls ca(Path file) {
        return new ClientTls(file, null);
    }

    /**
     * The canonical form of a fingerprint given by a user: prefix optional, colons optional, any case. Rejects
     * anything that is not 32 bytes of hex, so a truncated paste is caught at start, not at first connection.
     */
    static String normalize(String text) {
        String t = text.trim();
        if (t.toLowerCase(Locale.ROOT).startsWith(FINGERPRINT_PREFIX)) {
            t = t.substring(FINGERPRINT_PREFIX.length());
        }
        String hex = t.replace(":", "");
        if (hex.length() != SHA256_HEX_DIGITS || !hex.chars().allMatch(c -> Character.digit(c, 16) >= 0 && c < 128)) {
            throw new IllegalArgumentException(
                    "inner.tls.fingerprint: expected \"sha256:\" and 32 hex bytes, got \"" + text + "\"");
        }
        return FINGERPRINT_PREFIX
                + HexFormat.ofDelimiter(":")
                        .withUpperCase()
                        .formatHex(HexFormat.of().parseHex(hex.toLowerCase(Locale.ROOT)));
    }
}
