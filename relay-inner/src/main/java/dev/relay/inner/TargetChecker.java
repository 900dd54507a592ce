package dev.relay.inner;

import dev.relay.config.HostPort;
import dev.relay.net.Threads;
import dev.relay.protocol.InnerToOuter;
import dev.relay.protocol.Message;
import dev.relay.protocol.OuterToInner;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Active health checks for one control channel: every route that asks for them ({@link
 * OuterToInner.RouteSpec#healthCheckMillis}) has its target TCP-connected at that interval, and the outer hears of
 * each change ({@link InnerToOuter.TargetHealth}), so it passes this inner over on a route whose target it cannot reach.
 *
 * <p>Threads: one {@code target-checker} platform thread schedules; each check connects on a virtual thread of its
 * own, so a target that hangs delays no other. Lives and dies with its control channel.
 */
final class TargetChecker implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(TargetChecker.class);

    private final Predicate<Message> send;
    private final Duration connectTimeout;
    private final ScheduledExecutorService timer =
            Executors.newSingleThreadScheduledExecutor(Threads.platformDaemons("target-checker"));
    private final ReentrantLock lock = new ReentrantLock();
    private final Map<String, Check> checks = new HashMap<>();

    /** One route's check: what it connects to, and what the outer was last told (null: nothing yet, taken as up). */
    private final class Check {
        final String route;
        final HostPort target;
        final long everyMillis;
        final ScheduledFuture<?> task;
        volatile Boolean told;
        /** Set before the task is cancelled: a check already running then tells the outer nothing. */
        volatile boolean stopped;

        Check(String route, HostPort target, long everyMillis) {
            this.route = route;
            this.target = target;
            this.everyMillis = everyMillis;
            // The first run may start before this assignment: it reads only the fields above.
            this.task = timer.scheduleWithFixedDelay(
                    () -> Threads.start("check-" + route, this::run), 0, everyMillis, TimeUnit.MILLISECONDS);
        }

        void stop() {
            stopped = true;
            task.cancel(false);
        }

        void run() {
            String down = null;
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(target.host(), target.port()), (int)
                        Math.min(connectTimeout.toMillis(), everyMillis));
            } catch (IOException | RuntimeException e) {
                down = "cannot connect to " + target + ": " + e.getMessage();
            }
            boolean up = down == null;
            Boolean before = told;
            // The outer takes a route as up until told otherwise: the first report it needs is a down one.
            if ((before == null && up) || (before != null && before == up) || stopped) {
                return;
            }
            if (send.test(new InnerToOuter.TargetHealth(route, up, down))) {
                told = up;
                if (up) {
                    LOG.info("route {} target {} is up again", route, target);
                } else {
                    LOG.warn("route {} target down: {}", route, down);
                }
            }
        }
    }

    /** @param send queues a message for the outer without waiting; false when it could not */
    TargetChecker(Predicate<Message> send, Duration connectTimeout) {
        this.send = send;
        this.connectTimeout = connectTimeout;
    }

    /** Checks what the routes served now ask for: a new or changed route starts again, a gone one stops. */
    void update(List<OuterToInner.RouteSpec> offered, Map<String, ServedRoute> served) {
        lock.lock();
        try {
            Map<String, Check> next = new HashMap<>();
            for (OuterToInner.RouteSpec spec : offered) {
                ServedRoute r = served.get(spec.name());
                if (spec.healthCheckMillis() == null || r == null || r.udp()) {
                    continue;
                }
                Check c = checks.remove(spec.name());
                if (c != null && c.target.equals(r.target()) && c.everyMillis == spec.healthCheckMillis()) {
                    next.put(spec.name(), c);
                } else {
                    if (c != null) {
                        c.stop();
                    }
                    next.put(spec.name(), new Check(spec.name(), r.target(), spec.healthCheckMillis()));
                }
            }
            checks.values().forEach(Check::stop);
            checks.clear();
            checks.putAll(next);
        } catch (java.util.concurrent.RejectedExecutionException closed) {
            // The control channel closed meanwhile; nothing is left to tell.
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void close() {
        lock.lock();
        try {
            checks.values().forEach(Check::stop);
            checks.clear();
        } finally {
            lock.unlock();
        }
        timer.shutdownNow();
    }
}
