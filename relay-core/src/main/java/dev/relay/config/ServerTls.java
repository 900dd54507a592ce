package dev.relay.config;

import java.nio.file.Path;

/**
 * The outer's certificate: PEM certificate chain and PKCS#8 PEM key, or a PKCS#12 keystore and its password.
 * Exactly one of the two forms is set. {@link #toString()} never shows the password.
 */
public record ServerTls(Path cert, Path key, Path keystore, String password) {
    public ServerTls {
        boolean pem = cert != null || key != null;
        if (pem && keystore != null) {
            throw new IllegalArgumentException("outer.tls: give either cert and key, or keystore, not both");
        }
        if (pem && (cert == null || key == null)) {
            throw new IllegalArgumentException(
                    "outer.tls: " + (cert == null ? "cert" : "key") + " is missing; PEM needs both cert and key");
        }
        if (!pem && keystore == null) {
            throw new IllegalArgumentException("outer.tls: needs cert and key (PEM), or keystore (PKCS#12)");
        }
    }

    /** PEM certificate chain and key files. */
    public static ServerTls pem(Path cert, Path key) {
        return new ServerTls(cert, key, null, null);
    }

    @Override
    public String toString() {
        return keystore != null
                ? "ServerTls[keystore=" + keystore + ", password=MASKED]"
                : "ServerTls[cert=" + cert + ", key=" + key + "]";
    }
}
