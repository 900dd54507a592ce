package dev.relay.tls;

import java.security.cert.CertificateException;

/** The outer presented a certificate other than the pinned one; the message names both fingerprints. */
public final class FingerprintMismatch extends CertificateException {
    public FingerprintMismatch(String presented, String expected) {
        super("the outer's certificate fingerprint is " + presented + " but inner.tls.fingerprint expects " + expected);
    }
}
