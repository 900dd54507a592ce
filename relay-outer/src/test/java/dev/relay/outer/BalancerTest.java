package dev.relay.outer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.relay.config.HostPort;
import dev.relay.config.Route;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The choice of inner for a new session: fewest active per weight, weighted round robin, eligibility, health. */
class BalancerTest {
    record Inner(String name, boolean isOpen) implements Balancer.Candidate {
        Inner(String name) {
            this(name, true);
        }
    }

    private static final Inner A = new Inner("a");
    private static final Inner B = new Inner("b");
    private static final Inner C = new Inner("c");

    private static Route route(Route.Balance balance, Route.InnerWeight... inners) {
        return Route.of("r", new HostPort("127.0.0.1", 0), new HostPort("127.0.0.1", 9))
                .withInners(List.of(inners), balance);
    }

    private static Route.InnerWeight w(String name, int weight) {
        return new Route.InnerWeight(name, weight);
    }

    /** Picks {@code n} times, counting each choice as a session that stays active. */
    private static Map<String, Integer> pick(Balancer b, Route r, List<Inner> inners, int n) {
        Map<String, Integer> counts = new HashMap<>();
        for (int i = 0; i < n; i++) {
            Inner chosen = b.choose(r, inners, null);
            b.assigned(r.name(), chosen.name());
            counts.merge(chosen.name(), 1, Integer::sum);
        }
        return counts;
    }

    @Test
    void fewestActiveSessionsEvensOutAndFollowsLoad() {
        Balancer b = new Balancer();
        Route r = route(Route.Balance.FEWEST);
        assertEquals(Map.of("a", 10, "b", 10, "c", 10), pick(b, r, List.of(A, B, C), 30));
        // Sessions on b end: the next ones go to b until it is level again.
        for (int i = 0; i < 5; i++) {
            b.released("r", "b");
        }
        assertEquals(Map.of("b", 5), pick(b, r, List.of(A, B, C), 5));
    }

    @Test
    void tiesAreBrokenAtRandom() {
        Balancer b = new Balancer();
        Route r = route(Route.Balance.FEWEST);
        Map<String, Integer> first = new HashMap<>();
        for (int i = 0; i < 200; i++) {
            // Nothing is ever assigned: every pick is a three-way tie.
            first.merge(b.choose(r, List.of(A, B, C), null).name(), 1, Integer::sum);
        }
        assertEquals(3, first.size(), "each of three tied inners is picked sometimes: " + first);
    }

    @Test
    void weightsShareFewestInProportion() {
        Balancer b = new Balancer();
        Route r = route(Route.Balance.FEWEST, w("a", 3), w("b", 1));
        assertEquals(Map.of("a", 30, "b", 10), pick(b, r, List.of(A, B), 40));
    }

    @Test
    void roundRobinTakesTurnsByWeightAndIgnoresLoad() {
        Balancer b = new Balancer();
        Route r = route(Route.Balance.ROUND_ROBIN, w("a", 2), w("b", 1));
        List<String> order = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            order.add(b.choose(r, List.of(B, A), null).name());
        }
        assertEquals(List.of("a", "a", "b", "a", "a", "b"), order);
    }

    @Test
    void onlyTheNamedOpenInnersOtherThanTheExceptedAreEligible() {
        Balancer b = new Balancer();
        Route r = route(Route.Balance.FEWEST, w("a", 1), w("b", 1));
        assertEquals(Map.of("a", 20), pick(b, r, List.of(A, C, new Inner("b", false)), 20));
        assertNull(b.choose(r, List.of(C), null));
        assertNull(b.choose(r, List.of(A), A));
    }

    @Test
    void anInnerWhoseChecksFindTheTargetDownIsPassedOverUntilItIsUp() {
        Balancer b = new Balancer();
        Route r = route(Route.Balance.ROUND_ROBIN);
        b.load("r", "a").targetUp = false;
        for (int i = 0; i < 6; i++) {
            assertEquals("b", b.choose(r, List.of(A, B), null).name());
        }
        b.connected("a");
        assertEquals(Map.of("a", 3, "b", 3), pick(b, r, List.of(A, B), 6));
    }

    @Test
    void anInnerWhoseTargetKeepsFailingIsSkippedForAWhile() throws Exception {
        Balancer b = new Balancer(3, Duration.ofMillis(300));
        Route r = route(Route.Balance.ROUND_ROBIN);
        assertFalse(b.failed("r", "a"));
        assertFalse(b.failed("r", "a"));
        assertTrue(b.failed("r", "a"), "the third failure in a row starts a skip");
        assertEquals(1, b.load("r", "a").skips());
        for (int i = 0; i < 10; i++) {
            assertEquals("b", b.choose(r, List.of(A, B), null).name());
        }
        // Skipped, but the only one left: better a chance than no inner at all.
        assertEquals("a", b.choose(r, List.of(A), null).name());
        long until = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!pick(b, r, List.of(A, B), 2).containsKey("a")) {
            assertTrue(System.nanoTime() < until, "a is never taken back");
            Thread.sleep(20);
        }
        // A success ends the run: two more failures do not skip it again.
        b.succeeded("r", "a");
        assertFalse(b.failed("r", "a"));
        assertFalse(b.failed("r", "a"));
    }
}
