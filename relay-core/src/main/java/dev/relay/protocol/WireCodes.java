package dev.relay.protocol;

import java.util.Map;

/**
 * The one-byte code that stands before each message on the wire. These numbers are the protocol: never reuse or
 * renumber one (WireCodesTest pins them).
 */
public final class WireCodes {
    private static final Map<Class<? extends Message>, Byte> CODES = Map.ofEntries(
            Map.entry(InnerToOuter.Hello.class, (byte) 1),
            Map.entry(OuterToInner.Challenge.class, (byte) 2),
            Map.entry(InnerToOuter.Auth.class, (byte) 3),
            Map.entry(OuterToInner.Welcome.class, (byte) 4),
            Map.entry(OuterToInner.Open.class, (byte) 5),
            Map.entry(OuterToInner.Ready.class, (byte) 6),
            Map.entry(InnerToOuter.OpenFailed.class, (byte) 7),
            Map.entry(Message.Heartbeat.class, (byte) 8),
            Map.entry(Message.Error.class, (byte) 9),
            Map.entry(InnerToOuter.PoolAuth.class, (byte) 10),
            Map.entry(OuterToInner.Routes.class, (byte) 11),
            Map.entry(InnerToOuter.RoutesApplied.class, (byte) 12),
            Map.entry(InnerToOuter.Name.class, (byte) 13),
            Map.entry(InnerToOuter.TargetHealth.class, (byte) 14),
            Map.entry(InnerToOuter.Opened.class, (byte) 15),
            Map.entry(InnerToOuter.DataAuth.class, (byte) 16));

    private static final Class<?>[] BY_CODE = new Class<?>[256];

    static {
        CODES.forEach((type, code) -> BY_CODE[code & 0xff] = type);
    }

    private WireCodes() {}

    /** The code of a message type. */
    public static byte codeOf(Class<? extends Message> type) {
        Byte code = CODES.get(type);
        if (code == null) {
            throw new IllegalArgumentException("no wire code for " + type.getName());
        }
        return code;
    }

    /** The message type of a code, or null when the code is unknown. */
    static Class<?> typeOf(int code) {
        return BY_CODE[code & 0xff];
    }
}
