package dev.relay.outer;

import dev.relay.config.Route;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A user who connected to a route (or a UDP flow that started) and waits for the inner's data connection. Whoever
 * removes it from {@link PendingOpens} owns its socket (or flow): the pairing code, the reaper, an OpenFailed, or
 * shutdown. Exactly one of {@code user} and {@code flow} is set. {@code askedOn} is the inner asked for it (null while
 * none is connected that may serve its route), moved only by compare-and-set; {@code retried} is set by its one retry
 * on another inner after a target failure.
 */
record PendingOpen(
        String id,
        Route route,
        User user,
        UdpFlow flow,
        long deadlineNanos,
        AtomicReference<InnerLink> askedOn,
        AtomicBoolean retried) {

    PendingOpen(String id, Route route, User user, long deadlineNanos) {
        this(id, route, user, null, deadlineNanos, new AtomicReference<>(), new AtomicBoolean());
    }

    PendingOpen(UdpFlow flow, long deadlineNanos) {
        this(flow.id(), flow.route(), null, flow, deadlineNanos, new AtomicReference<>(), new AtomicBoolean());
    }

    /** The user's address, for limits and log lines, whichever kind of user this is. */
    String describeUser() {
        return user != null ? user.describe() : flow.describe();
    }
}
