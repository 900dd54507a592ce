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
 * Answers one Open, on its {@code open-<id>} thread: connects to the route's target, dials a data connection that
 * names the session, and hands both sockets to a {@link Session}. Until then it owns both and closes them on failure,
 * telling the outer so its user is not left waiting.
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

    void run() {
        Socket t = new Socket();
        Channel data = null;
        try {
            Sockets.tune(t);
            try {
                t.connect(target.resolve(), (int) inner.config().tuning().openTimeout().toMillis());
            } catch (IOException e) {
                throw new IOException("cannot connect to target " + target + ": " + e.getMessage(), e);
            }
            data = inner.dial(Purpose.DATA, id);
            data.expect(OuterToInner.class, OuterToInner.Ready.class);
            data.socket().setSoTimeout(0);
        } catch (IOException | RuntimeException e) {
            Sockets.closeQuietly(t);
            if (data != null) {
                data.close();
            }
            String why = e.getMessage() == null ? e.toString() : e.getMessage();
            LOG.warn("session failed id={} route={} target={} reason=\"{}\"", id, route, target, why);
            link.send(new InnerToOuter.OpenFailed(id, why));
            return;
        }
        Session s = new Session(id, "route=" + route + " target=" + target, data.socket(), t, Duration.ZERO,
                inner.sessions()::remove);
        inner.sessions().add(s);
        LOG.info("session open id={} route={} target={}", id, route, target);
        s.start();
        if (inner.isClosed()) {
            s.close("inner shutting down");
        }
    }
}
