package dev.relay.outer;

import dev.relay.config.InnerConfig;
import dev.relay.protocol.Nonce;
import java.time.Duration;
import java.util.Iterator;
import java.util.LinkedHashMap;

/**
 * The pool tickets one control channel has given out: single-use nonces, each sent in the Open on a pooled
 * connection, with which the inner authenticates that connection's replacement in one frame (docs/protocol.md §6.2).
 * A ticket is good once, for {@code ttl} after it was given out; of those not yet redeemed only the newest
 * {@link #MAX} are kept, so a ticket whose connection never came (the inner's dial failed) is forgotten in time.
 */
final class Tickets {
    /** Outstanding tickets at most: twice the largest pool, while a healthy inner redeems each within moments. */
    static final int MAX = 2 * InnerConfig.MAX_POOL;

    private final long ttlNanos;
    /** Ticket to when it was given out, oldest first. */
    private final LinkedHashMap<String, Long> issued = new LinkedHashMap<>();

    Tickets(Duration ttl) {
        this.ttlNanos = ttl.toNanos();
    }

    /** A new ticket, given out at {@code nowNanos} ({@link System#nanoTime}). */
    synchronized String issue(long nowNanos) {
        String t = Nonce.next();
        issued.put(t, nowNanos);
        if (issued.size() > MAX) {
            Iterator<String> oldest = issued.keySet().iterator();
            oldest.next();
            oldest.remove();
        }
        return t;
    }

    /** Spends {@code ticket}: true once, if it was given out here no longer than the time to live ago. */
    synchronized boolean redeem(String ticket, long nowNanos) {
        Long at = issued.remove(ticket);
        return at != null && nowNanos - at <= ttlNanos;
    }

    /** Forgets a ticket that never reached the inner. */
    synchronized void discard(String ticket) {
        issued.remove(ticket);
    }
}
