package dev.relay.outer;

import dev.relay.config.Route;
import dev.relay.net.Sockets;
import dev.relay.net.Threads;
import dev.relay.protocol.Channel;
import dev.relay.protocol.Frames;
import dev.relay.protocol.InnerToOuter;
import java.io.IOException;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Pooled connections whose Open asked the inner to confirm the target, waiting for its answer ({@link
 * InnerToOuter.Opened} or {@link InnerToOuter.OpenFailed}) on a {@code confirm-<id>} thread each. The user's socket is
 * not read meanwhile, so a failure can go to another inner with every byte the user sent still in it. The waiting
 * thread owns the user and the data connection until it hands them to the outer; shutdown closes what still waits.
 */
final class PooledConfirm {
    private final Set<Channel> waiting = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean closed = new AtomicBoolean();

    /** Waits, on a thread of its own, for {@code l}'s answer on the pooled connection {@code p} for session {@code id}. */
    void start(Dispatcher outer, InnerLink l, InnerLink.Pooled p, String id, Route route, User user, Duration timeout) {
        Threads.start("confirm-" + id, () -> await(outer, l, p, id, route, user, timeout));
    }

    private void await(
            Dispatcher outer, InnerLink l, InnerLink.Pooled p, String id, Route route, User user, Duration timeout) {
        Channel data = p.channel();
        waiting.add(data);
        String failure;
        try {
            if (closed.get()) {
                throw new IOException("outer shutting down");
            }
            data.socket().setSoTimeout((int) Math.max(1, timeout.toMillis()));
            InnerToOuter m = data.read(InnerToOuter.class);
            if (m instanceof InnerToOuter.Opened o && o.session().equals(id)) {
                data.socket().setSoTimeout(0);
                waiting.remove(data);
                outer.confirmedOpen(l, p, id, route, user);
                return;
            }
            failure = m instanceof InnerToOuter.OpenFailed f && f.session().equals(id)
                    ? Frames.printable(f.reason())
                    : "unexpected " + m.getClass().getSimpleName() + " instead of Opened";
        } catch (IOException e) {
            failure = "no confirmation: " + e.getMessage();
        } catch (RuntimeException e) {
            failure = "internal error: " + e;
        }
        waiting.remove(data);
        data.close();
        if (closed.get()) {
            Sockets.closeQuietly(user.socket());
        }
        outer.confirmFailed(l, id, route, user, failure);
    }

    /** Closes every data connection still waiting; their threads then end their users. */
    void closeAll() {
        closed.set(true);
        waiting.forEach(Channel::close);
    }
}
