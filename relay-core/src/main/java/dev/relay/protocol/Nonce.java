package dev.relay.protocol;

import java.security.SecureRandom;
import java.util.Base64;

/** Fresh random values for challenges and session ids, encoded as unpadded URL-safe base64. */
public final class Nonce {
    /** Bytes of randomness in a handshake nonce. */
    public static final int NONCE_BYTES = 32;
    /** Bytes of randomness in a session id: enough that guessing a pending one is hopeless. */
    public static final int SESSION_ID_BYTES = 16;

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Base64.Encoder ENCODER = Base64.getUrlEncoder().withoutPadding();

    private Nonce() {}

    /** A new handshake nonce. */
    public static String next() {
        return random(NONCE_BYTES);
    }

    /** A new session id. */
    public static String sessionId() {
        return random(SESSION_ID_BYTES);
    }

    static String random(int bytes) {
        byte[] b = new byte[bytes];
        RANDOM.nextBytes(b);
        return ENCODER.encodeToString(b);
    }

    /** Rejects anything that is not a nonce of the right size, so a peer cannot shrink the challenge. */
    static void check(String nonce) {
        if (nonce == null) {
            throw new IllegalArgumentException("nonce is missing");
        }
        byte[] decoded;
        try {
            decoded = Base64.getUrlDecoder().decode(nonce);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("nonce is not base64");
        }
        if (decoded.length != NONCE_BYTES) {
            throw new IllegalArgumentException("nonce must be " + NONCE_BYTES + " bytes, got " + decoded.length);
        }
    }
}
