package dev.relay.inner;

import dev.relay.admin.AdminServer;
import dev.relay.config.InnerConfig;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One reload of a running inner: the outers it dials (one added is dialled at once; one removed has its control
 * channel and pool closed, and its running sessions finish), allowTargets (the outers' routes are filtered again at
 * once), the pool's size, and the admin endpoint change while running; how it authenticates and the tuning need a restart and
 * are kept as they were. Runs on the thread that asked, one reload at a time.
 */
final class InnerReload {
    private static final Logger LOG = LoggerFactory.getLogger(InnerReload.class);

    private final Inner inner;
    private final InnerConfig before;
    private final InnerConfig next;
    private final List<String> applied = new ArrayList<>();
    private final List<String> needsRestart = new ArrayList<>();

    InnerReload(Inner inner, InnerConfig before, InnerConfig next) {
        this.inner = inner;
        this.before = before;
        this.next = next;
    }

    AdminServer.Reload apply() {
        restartOnly();
        inner.config(before.withAllowTargets(next.allowTargets())
                .withPool(next.pool())
                .withAdmin(next.admin())
                .withConnect(next.connect()));
        if (!before.connect().equals(next.connect())) {
            List<String> added = next.connect().stream()
                    .filter(o -> !before.connect().contains(o))
                    .map(o -> "+" + o)
                    .toList();
            List<String> removed = before.connect().stream()
                    .filter(o -> !next.connect().contains(o))
                    .map(o -> "-" + o)
                    .toList();
            inner.connectTo(next.connect());
            List<String> changes = new ArrayList<>(added);
            changes.addAll(removed);
            applied.add("inner.connect " + (changes.isEmpty() ? "reordered" : String.join(" ", changes)));
        }
        if (!before.allowTargets().equals(next.allowTargets())) {
            applied.add("inner.allowTargets");
            for (Connector c : inner.connectors()) {
                OuterLink link = c.link();
                if (link != null) {
                    link.refilter();
                }
            }
        }
        if (before.pool() != next.pool()) {
            applied.add("inner.pool " + next.pool());
            for (Connector c : inner.connectors()) {
                OuterLink link = c.link();
                if (link != null) {
                    link.pool().resize(next.pool());
                }
            }
        }
        admin();
        LOG.info(
                "reloaded (generation {}): {}{}",
                inner.generation(),
                applied.isEmpty() ? "no change" : String.join("; ", applied),
                needsRestart.isEmpty() ? "" : "; needs restart: " + String.join(", ", needsRestart));
        return new AdminServer.Reload(true, null, List.copyOf(applied), List.copyOf(needsRestart));
    }

    private void restartOnly() {
        if (!before.token().equals(next.token())) {
            needsRestart.add("token");
        }
        if (!Objects.equals(before.tls(), next.tls())) {
            needsRestart.add("inner.tls");
        }
        if (!before.name().equals(next.name())) {
            needsRestart.add("inner.name");
        }
        if (!before.tuning().equals(next.tuning())) {
            needsRestart.add("tuning");
        }
    }

    private void admin() {
        if (Objects.equals(before.admin(), next.admin())) {
            return;
        }
        if (next.admin() == null) {
            inner.admin(null);
            applied.add("inner.admin removed");
            return;
        }
        AdminServer current = inner.admin();
        if (current != null
                && before.admin() != null
                && before.admin().listen().equals(next.admin().listen())) {
            current.token(next.admin().token());
            applied.add("inner.admin token");
            return;
        }
        try {
            inner.admin(AdminServer.start(next.admin(), "inner", new InnerAdmin(inner)));
            applied.add("inner.admin on " + next.admin().listen());
        } catch (IOException e) {
            LOG.error("reload: the admin endpoint stays as it was: {}", e.getMessage());
            applied.add("inner.admin NOT moved: " + e.getMessage());
        }
    }
}
