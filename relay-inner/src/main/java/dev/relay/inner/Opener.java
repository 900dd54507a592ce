package dev.relay.inner;

import dev.relay.config.HostPort;
import dev.relay.net.Sockets;
import dev.relay.protocol.Channel;
import dev.relay.protocol.InnerToOuter;
import dev.relay.protocol.InnerToOuter.Purpose;
import dev.relay.protocol.OuterToInner;
import dev.relay.session.Session;
import java.io.IOException;
import java.net.Socket;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers one Open (on its {@code open-<id>} thread, or on the pool slot's that received it): connects to the
 * route's target and hands it, with the data
 * connection, to a {@link Session}. Until then it owns both sockets and closes them on failure, so the outer's user
 * is never left waiting: over the control channel it sends OpenFailed; on a pooled connection it resets the
 * connection, which ends the outer's side of the session at once.
 */
final class Opener {
    private static final Logger LOG = LoggerFactory.getLogger(Opener.class);

    private final Inner inner;
    private final OuterLink link;
    private final String id;
    private final String route;
    private final HostPort target;

    Opener(Inner inner, OuterLink link, String id, String route, HostPort target) {
        this.inner = inner;
        this.link = link;
        this.id = id;
        this.route = route;
        this.target = target;
    }

    /**
     * The Open came over the control channel: reach the target, then dial a data connection naming the session. Runs
     * on its {@code open-<id>} thread, holding the session slot its caller took; gives it back on failure.
     */
    void overControl() {
        Socket t = null;
        Channel data = null;
        try {
            t = inner.dialingTarget(this::connectTarget);
            data = inner.dialingOuter(() -> inner.dial(Purpose.DATA, id));
            data.expect(OuterToInner.class, OuterToInner.Ready.class);
            data.socket().setSoTimeout(0);
        } catch (IOException | RuntimeException e) {
            Sockets.closeQuietly(t);
            if (data != null) {
                data.close();
            }
            inner.releaseSlot();
            link.reply(new InnerToOuter.OpenFailed(id, failed(e)));
            return;
        }
        start(data.socket(), t, "open");
    }

    /**
     * The Open came on a pooled data connection, whose next bytes are already the user's; runs on the pool slot's
     * thread, holding the session slot its caller took.
     */
    void onPooled(Channel data) {
        Socket t;
        try {
            t = inner.dialingTarget(this::connectTarget);
        } catch (IOException | RuntimeException e) {
            inner.releaseSlot();
            failed(e);
            data.reset();
            return;
        }
        start(data.socket(), t, "pool");
    }

    private Socket connectTarget() throws IOException {
        Socket t = new Socket();
        try {
            Sockets.tune(t);
            t.connect(target.resolve(), (int)
                    inner.config().tuning().openTimeout().toMillis());
            return t;
        } catch (IOException e) {
            Sockets.closeQuietly(t);
            throw new IOException("cannot connect to target " + target + ": " + e.getMessage(), e);
        }
    }

    private String failed(Exception e) {
        String why = e.getMessage() == null ? e.toString() : e.getMessage();
        link.failures()
                .event(more -> LOG.warn(
                        "session failed id={} route={} target={} reason=\"{}\"{}", id, route, target, why, more));
        return why;
    }

    /** Hands both sockets, and the session slot, to a Session, which gives the slot back when it ends. */
    private void start(Socket data, Socket t, String via) {
        Session s = new Session(id, "route=" + route + " target=" + target, data, t, Duration.ZERO, ended -> {
            inner.sessions().remove(ended);
            inner.releaseSlot();
        });
        inner.sessions().add(s);
        LOG.info("session open id={} route={} target={} via={}", id, route, target, via);
        s.start();
        if (inner.isClosed()) {
            s.close("inner shutting down");
        }
    }
}
