package dev.relay.outer;

import dev.relay.config.Route;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A user who connected to a route (or a UDP flow that started) and waits for the inner's data connection. Whoever
 * removes it from {@link PendingOpens} owns its socket (or flow): the pairing code, the reaper, an OpenFailed, or
 * shutdown. Exactly one of {@code user} and {@code flow} is set.
 */
record PendingOpen(
        String id, Route route, User user, UdpFlow flow, long deadlineNanos, AtomicReference<InnerLink> askedOn) {

    PendingOpen(String id, Route route, User user, long deadlineNanos) {
        this(id, route, user, null, deadlineNanos, new AtomicReference<>());
    }

    PendingOpen(UdpFlow flow, long deadlineNanos) {
        this(flow.id(), flow.route(), null, flow, deadlineNanos, new AtomicReference<>());
    }

    /** The user's address, for limits and log lines, whichever kind of user this is. */
    String describeUser() {
        return user != null ? user.describe() : flow.describe();
    }

    /** True once, for the first caller that may send this open to {@code link}. */
    boolean claimFor(InnerLink link) {
        InnerLink before = askedOn.get();
        return before != link && askedOn.compareAndSet(before, link);
    }
}
