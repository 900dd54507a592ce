package dev.relay.protocol;

import java.security.SecureRandom;
import java.util.Base64;

/**
 * Fresh random values for challenges, session ids and channel ids, encoded as unpadded URL-safe base64; and the
 * checks that a peer's values have exactly that form, so nothing a peer sends in their place can be long, padded or
 * unprintable.
 */
public final class Nonce {
    /** Bytes of randomness in a handshake nonce or a pool ticket. */
    public static final int NONCE_BYTES = 32;
    /** Bytes of randomness in a session id or channel id: enough that guessing a pending one is hopeless. */
    public static final int SESSION_ID_BYTES = 16;
    /** Bytes in a proof: an HMAC-SHA256. */
    public static final int PROOF_BYTES = 32;

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Base64.Encoder ENCODER = Base64.getUrlEncoder().withoutPadding();

    private Nonce() {}

    /** A new handshake nonce. */
    public static String next() {
        return random(NONCE_BYTES);
    }

    /** A new session id (or channel id). */
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
        check("nonce", nonce, NONCE_BYTES);
    }

    /** Rejects anything that is not a session or channel id as {@link #sessionId} makes them. */
    static void checkId(String field, String id) {
        check(field, id, SESSION_ID_BYTES);
    }

    /** Rejects anything that is not a proof's encoding; whether it is the right proof is for its checker. */
    static void checkProof(String proof) {
        check("proof", proof, PROOF_BYTES);
    }

    /** Exactly the canonical encoding of {@code bytes} bytes: no padding, no other characters, no spare bits set. */
    private static void check(String field, String value, int bytes) {
        if (value == null) {
            throw new IllegalArgumentException(field + " is missing");
        }
        int length = (bytes * 8 + 5) / 6;
        if (value.length() != length) {
            throw new IllegalArgumentException(
                    field + " must be " + length + " base64url characters, got " + value.length());
        }
        byte[] decoded;
        try {
            decoded = Base64.getUrlDecoder().decode(value);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(field + " is not base64url");
        }
        if (decoded.length != bytes || !ENCODER.encodeToString(decoded).equals(value)) {
            throw new IllegalArgumentException(field + " is not the canonical base64url of " + bytes + " bytes");
        }
    }
}
