package dev.relay.auth;

import dev.relay.config.Token;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Challenge-response proofs: HMAC-SHA256, keyed with the token, over a role label and both sides' nonces. The token
 * never crosses the wire; each side proves itself with a label of its own, so the outer's proof can never be replayed
 * as the inner's.
 */
public final class Proof {
    /** Label for the proof the outer sends in its challenge. */
    public static final String OUTER = "relay/1 outer";
    /** Label for the proof the inner sends in its answer. */
    public static final String INNER = "relay/1 inner";
    /**
     * Labels for the proofs over a pool ticket ({@code PoolAuth} and the Open that follows it): their own, so that no
     * proof from a full handshake is ever one for a ticket, whatever nonces the two happen to share.
     */
    public static final String POOL_INNER = "relay/2 pool inner";
    /** See {@link #POOL_INNER}. */
    public static final String POOL_OUTER = "relay/2 pool outer";
    /**
     * Labels for the proofs over a session id ({@code DataAuth} and the Ready that answers it), apart from the others
     * for the same reason.
     */
    public static final String DATA_INNER = "relay/7 data inner";
    /** See {@link #DATA_INNER}. */
    public static final String DATA_OUTER = "relay/7 data outer";

    private Proof() {}

    /** The proof for {@code role} given the inner's and the outer's nonces. */
    public static String of(Token token, String role, String innerNonce, String outerNonce) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(token.value().getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            mac.update(role.getBytes(StandardCharsets.UTF_8));
            mac.update((byte) 0);
            mac.update(innerNonce.getBytes(StandardCharsets.US_ASCII));
            mac.update((byte) 0);
            mac.update(outerNonce.getBytes(StandardCharsets.US_ASCII));
            return Base64.getUrlEncoder().withoutPadding().encodeToString(mac.doFinal());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is missing from this JDK", e);
        }
    }

    /** Whether {@code presented} is the expected proof, compared in constant time. */
    public static boolean matches(String expected, String presented) {
        return presented != null
                && MessageDigest.isEqual(
                        expected.getBytes(StandardCharsets.US_ASCII), presented.getBytes(StandardCharsets.US_ASCII));
    }
}
