package dev.relay.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.relay.config.Token;
import org.junit.jupiter.api.Test;

class ProofTest {
    private static final Token TOKEN = new Token("0123456789abcdef-one");
    private static final Token OTHER = new Token("0123456789abcdef-two");

    @Test
    void theSameInputsGiveTheSameProof() {
        assertEquals(Proof.of(TOKEN, Proof.INNER, "a", "b"), Proof.of(TOKEN, Proof.INNER, "a", "b"));
        assertEquals(Proof.of(TOKEN, Proof.OUTER, "a", "b"), Proof.of(new Token(TOKEN.value()), Proof.OUTER, "a", "b"));
    }

    @Test
    void theRoleLabelChangesTheProof() {
        assertNotEquals(Proof.of(TOKEN, Proof.INNER, "a", "b"), Proof.of(TOKEN, Proof.OUTER, "a", "b"));
    }

    @Test
    void eachNonceChangesTheProof() {
        String base = Proof.of(TOKEN, Proof.INNER, "a", "b");
        assertNotEquals(base, Proof.of(TOKEN, Proof.INNER, "c", "b"));
        assertNotEquals(base, Proof.of(TOKEN, Proof.INNER, "a", "c"));
        assertNotEquals(base, Proof.of(TOKEN, Proof.INNER, "b", "a"));
        // The separator keeps the boundary between the nonces: "ab"+"c" is not "a"+"bc".
        assertNotEquals(Proof.of(TOKEN, Proof.INNER, "ab", "c"), Proof.of(TOKEN, Proof.INNER, "a", "bc"));
    }

    @Test
    void theTokenChangesTheProof() {
        assertNotEquals(Proof.of(TOKEN, Proof.INNER, "a", "b"), Proof.of(OTHER, Proof.INNER, "a", "b"));
    }

    @Test
    void aProofIsUnpaddedUrlSafeBase64OfASha256() {
        String proof = Proof.of(TOKEN, Proof.INNER, "a", "b");
        assertEquals(43, proof.length());
        assertTrue(proof.matches("[A-Za-z0-9_-]+"), proof);
    }

    @Test
    void matchesOnlyTheSameProof() {
        String proof = Proof.of(TOKEN, Proof.INNER, "a", "b");
        assertTrue(Proof.matches(proof, Proof.of(TOKEN, Proof.INNER, "a", "b")));
        assertFalse(Proof.matches(proof, null));
        assertFalse(Proof.matches(proof, ""));
        assertFalse(Proof.matches(proof, Proof.of(OTHER, Proof.INNER, "a", "b")));
        assertFalse(Proof.matches(proof, proof.substring(1)));
        assertFalse(Proof.matches(proof, proof + "A"));
    }
}
