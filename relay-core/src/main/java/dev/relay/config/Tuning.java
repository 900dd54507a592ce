package dev.relay.config;

import java.time.Duration;
import java.util.Objects;

/**
 * Timers and limits shared by outer and inner. Every default is a named constant here and in the README.
 *
 * @param heartbeat       how often each side of a control channel sends a heartbeat
 * @param deadPeer        silence on a control channel after which the peer is declared gone
 * @param openTimeout     how long a user waits for the inner to answer (including for an inner to connect), and
 *                        how long the inner waits for a target to accept
 * @param handshake       how long a new connection to the control port has to authenticate
 * @param maxSessions     the most concurrent sessions, over all routes, on the outer
 * @param reconnectMin    the inner's first reconnect delay
 * @param reconnectMax    the inner's longest reconnect delay
 * @param poolMaxIdle     how long the outer keeps an idle pooled connection before closing it for a fresh one, so a
 *                        connection a middlebox dropped silently is not handed to a user much later
 */
public record Tuning(
        Duration heartbeat,
        Duration deadPeer,
        Duration openTimeout,
        Duration handshake,
        int maxSessions,
        Duration reconnectMin,
        Duration reconnectMax,
        Duration poolMaxIdle,
        int healthFailures,
        Duration healthSkip) {
    public static final Duration DEFAULT_HEARTBEAT = Duration.ofSeconds(5);
    public static final Duration DEFAULT_DEAD_PEER = Duration.ofSeconds(20);
    public static final Duration DEFAULT_OPEN_TIMEOUT = Duration.ofSeconds(10);
    public static final Duration DEFAULT_HANDSHAKE = Duration.ofSeconds(5);
    /** Each session holds two descriptors per process; this stays well inside a 20,000-descriptor limit. */
    public static final int DEFAULT_MAX_SESSIONS = 8000;

    public static final Duration DEFAULT_RECONNECT_MIN = Duration.ofMillis(500);
    public static final Duration DEFAULT_RECONNECT_MAX = Duration.ofSeconds(30);
    public static final Duration DEFAULT_POOL_MAX_IDLE = Duration.ofSeconds(60);
    /** Target failures in a row after which the outer sets an inner aside on that route (passive health). */
    public static final int DEFAULT_HEALTH_FAILURES = 3;
    /** How long such an inner is passed over on that route, unless no other inner is left. */
    public static final Duration DEFAULT_HEALTH_SKIP = Duration.ofSeconds(10);
    /** The most failures in a row a skip may wait for. */
    public static final int MAX_HEALTH_FAILURES = 1000;
    /** The longest skip: an hour; a target mended later is found by the next session after it. */
    public static final Duration MAX_HEALTH_SKIP = Duration.ofHours(1);

    /** The longest heartbeat interval: an hour (a peer refuses a longer one in Welcome). */
    public static final Duration MAX_HEARTBEAT = Duration.ofHours(1);
    /** The longest dead-peer time: three of the longest heartbeats. */
    public static final Duration MAX_DEAD_PEER = MAX_HEARTBEAT.multipliedBy(3);
    /** The longest open timeout: an hour; a user does not wait longer for a connection. */
    public static final Duration MAX_OPEN_TIMEOUT = Duration.ofHours(1);
    /** The longest handshake timeout: ten minutes, far beyond any real link, short of letting strangers hold slots. */
    public static final Duration MAX_HANDSHAKE = Duration.ofMinutes(10);
    /** The longest reconnect delay: an hour. */
    public static final Duration MAX_RECONNECT = Duration.ofHours(1);
    /** The longest a pooled connection may idle: a day. */
    public static final Duration MAX_POOL_IDLE = Duration.ofDays(1);
    /** The most sessions any limit may allow: each takes two descriptors per process, and memory. */
    public static final int MAX_MAX_SESSIONS = 1_000_000;

    /** All defaults. */
    public static final Tuning DEFAULTS = new Tuning(
            DEFAULT_HEARTBEAT,
            DEFAULT_DEAD_PEER,
            DEFAULT_OPEN_TIMEOUT,
            DEFAULT_HANDSHAKE,
            DEFAULT_MAX_SESSIONS,
            DEFAULT_RECONNECT_MIN,
            DEFAULT_RECONNECT_MAX,
            DEFAULT_POOL_MAX_IDLE,
            DEFAULT_HEALTH_FAILURES,
            DEFAULT_HEALTH_SKIP);

    public Tuning {
        // Each within a range that the timers using it can represent: a socket timeout is an int of milliseconds.
        inRange("heartbeatSeconds", heartbeat, MAX_HEARTBEAT);
        inRange("deadPeerSeconds", deadPeer, MAX_DEAD_PEER);
        inRange("openTimeoutSeconds", openTimeout, MAX_OPEN_TIMEOUT);
        inRange("handshakeTimeoutSeconds", handshake, MAX_HANDSHAKE);
        inRange("reconnectMinSeconds", reconnectMin, MAX_RECONNECT);
        inRange("reconnectMaxSeconds", reconnectMax, MAX_RECONNECT);
        inRange("poolMaxIdleSeconds", poolMaxIdle, MAX_POOL_IDLE);
        inRange("healthSkipSeconds", healthSkip, MAX_HEALTH_SKIP);
        if (healthFailures < 1 || healthFailures > MAX_HEALTH_FAILURES) {
            throw new IllegalArgumentException(
                    "healthFailures must be between 1 and " + MAX_HEALTH_FAILURES + ", got " + healthFailures);
        }
        if (deadPeer.compareTo(heartbeat.multipliedBy(2)) < 0) {
            throw new IllegalArgumentException("deadPeerSeconds (" + seconds(deadPeer)
                    + ") must be at least twice heartbeatSeconds (" + seconds(heartbeat)
                    + "), or one late heartbeat would drop a healthy peer");
        }
        if (reconnectMax.compareTo(reconnectMin) < 0) {
            throw new IllegalArgumentException("reconnectMaxSeconds must not be below reconnectMinSeconds");
        }
        checkMaxSessions("maxSessions", maxSessions);
    }

    /** Checks a session limit, global or a route's: at least 1, at most {@link #MAX_MAX_SESSIONS}. */
    public static void checkMaxSessions(String field, int n) {
        if (n < 1 || n > MAX_MAX_SESSIONS) {
            throw new IllegalArgumentException(field + " must be between 1 and " + MAX_MAX_SESSIONS + ", got " + n);
        }
    }

    public Tuning withHeartbeat(Duration every, Duration dead) {
        return new Tuning(
                every,
                dead,
                openTimeout,
                handshake,
                maxSessions,
                reconnectMin,
                reconnectMax,
                poolMaxIdle,
                healthFailures,
                healthSkip);
    }

    public Tuning withOpenTimeout(Duration d) {
        return new Tuning(
                heartbeat,
                deadPeer,
                d,
                handshake,
                maxSessions,
                reconnectMin,
                reconnectMax,
                poolMaxIdle,
                healthFailures,
                healthSkip);
    }

    public Tuning withHandshake(Duration d) {
        return new Tuning(
                heartbeat,
                deadPeer,
                openTimeout,
                d,
                maxSessions,
                reconnectMin,
                reconnectMax,
                poolMaxIdle,
                healthFailures,
                healthSkip);
    }

    public Tuning withMaxSessions(int n) {
        return new Tuning(
                heartbeat,
                deadPeer,
                openTimeout,
                handshake,
                n,
                reconnectMin,
                reconnectMax,
                poolMaxIdle,
                healthFailures,
                healthSkip);
    }

    public Tuning withReconnect(Duration min, Duration max) {
        return new Tuning(
                heartbeat,
                deadPeer,
                openTimeout,
                handshake,
                maxSessions,
                min,
                max,
                poolMaxIdle,
                healthFailures,
                healthSkip);
    }

    public Tuning withHealth(int failures, Duration skip) {
        return new Tuning(
                heartbeat,
                deadPeer,
                openTimeout,
                handshake,
                maxSessions,
                reconnectMin,
                reconnectMax,
                poolMaxIdle,
                failures,
                skip);
    }

    public Tuning withPoolMaxIdle(Duration d) {
        return new Tuning(
                heartbeat,
                deadPeer,
                openTimeout,
                handshake,
                maxSessions,
                reconnectMin,
                reconnectMax,
                d,
                healthFailures,
                healthSkip);
    }

    private static void inRange(String field, Duration d, Duration max) {
        Objects.requireNonNull(d, field);
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(field + " must be positive");
        }
        if (d.compareTo(max) > 0) {
            throw new IllegalArgumentException(field + " must be at most " + max.toSeconds() + ", got " + seconds(d));
        }
    }

    private static String seconds(Duration d) {
        return d.toMillis() / 1000.0 + "";
    }
}
