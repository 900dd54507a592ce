package dev.relay.outer;

import dev.relay.config.Route;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A user who connected to a route and waits for the inner's data connection. Whoever removes it from
 * {@link PendingOpens} owns its socket: the pairing code, the reaper, an OpenFailed, or shutdown.
 */
record PendingOpen(String id, Route route, User user, long deadlineNanos, AtomicReference<InnerLink> askedOn) {

    PendingOpen(String id, Route route, User user, long deadlineNanos) {
        this(id, route, user, deadlineNanos, new AtomicReference<>());
    }

    /** True once, for the first caller that may send this open to {@code link}. */
    boolean claimFor(InnerLink link) {
        InnerLink before = askedOn.get();
        return before != link && askedOn.compareAndSet(before, link);
    }
}
