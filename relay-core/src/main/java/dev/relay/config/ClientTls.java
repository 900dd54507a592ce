package dev.relay.config;

import dev.relay.tls.Fingerprint;
import java.nio.file.Path;

/**
 * How the inner verifies the outer: a CA or certificate file (PEM), with the usual host name check; or a pinned
 * SHA-256 certificate fingerprint, like an SSH known host. Exactly one is set.
 */
public record ClientTls(Path ca, String fingerprint) {
    public ClientTls {
        if ((ca == null) == (fingerprint == null)) {
            throw new IllegalArgumentException("inner.tls: give exactly one of ca (a PEM certificate file) or "
                    + "fingerprint (\"sha256:AB:CD:...\")");
        }
        if (fingerprint != null) {
            fingerprint = Fingerprint.normalize(fingerprint);
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
}
