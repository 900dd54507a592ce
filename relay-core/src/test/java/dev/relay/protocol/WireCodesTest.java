package dev.relay.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Pins the one-byte wire codes: changing one breaks every deployed peer, so it must break this test first. */
class WireCodesTest {
    private static final Map<Class<? extends Message>, Integer> PINNED = new LinkedHashMap<>();

    static {
        PINNED.put(InnerToOuter.Hello.class, 1);
        PINNED.put(OuterToInner.Challenge.class, 2);
        PINNED.put(InnerToOuter.Auth.class, 3);
        PINNED.put(OuterToInner.Welcome.class, 4);
        PINNED.put(OuterToInner.Open.class, 5);
        PINNED.put(OuterToInner.Ready.class, 6);
        PINNED.put(InnerToOuter.OpenFailed.class, 7);
        PINNED.put(Message.Heartbeat.class, 8);
        PINNED.put(Message.Error.class, 9);
        PINNED.put(InnerToOuter.PoolAuth.class, 10);
        PINNED.put(OuterToInner.Routes.class, 11);
        PINNED.put(InnerToOuter.RoutesApplied.class, 12);
        PINNED.put(InnerToOuter.Name.class, 13);
        PINNED.put(InnerToOuter.TargetHealth.class, 14);
        PINNED.put(InnerToOuter.Opened.class, 15);
        PINNED.put(InnerToOuter.DataAuth.class, 16);
    }

    @Test
    void everyCodeIsPinned() {
        PINNED.forEach((type, code) -> {
            assertEquals(code.byteValue(), WireCodes.codeOf(type), type.getSimpleName());
            assertEquals(type, WireCodes.typeOf(code), "code " + code);
        });
    }

    @Test
    void noOtherCodeIsKnown() {
        for (int code = 0; code < 256; code++) {
            if (!PINNED.containsValue(code)) {
                assertNull(WireCodes.typeOf(code), "code " + code + " is not pinned here");
            }
        }
    }

    @Test
    void everyInnerToOuterMessageHasACode() {
        assertEveryPermittedSubtypeHasACode(InnerToOuter.class);
    }

    @Test
    void everyOuterToInnerMessageHasACode() {
        assertEveryPermittedSubtypeHasACode(OuterToInner.class);
    }

    @Test
    void aTypeWithoutACodeIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> WireCodes.codeOf(Message.class));
    }

    @SuppressWarnings("unchecked")
    private static void assertEveryPermittedSubtypeHasACode(Class<?> direction) {
        Class<?>[] permitted = direction.getPermittedSubclasses();
        assertNotNull(permitted, direction + " is not sealed");
        assertTrue(permitted.length > 0);
        for (Class<?> type : permitted) {
            assertTrue(PINNED.containsKey(type), type.getName() + " has no pinned code in this test");
            assertEquals(
                    PINNED.get(type).byteValue(), WireCodes.codeOf((Class<? extends Message>) type), type.getName());
        }
    }
}
