package dev.relay.config;

import dev.relay.net.IpLiteral;
import java.util.Objects;

/**
 * The admin endpoint (metrics, status, health, reload): where it listens and the bearer token it requires. Off unless
 * configured. On a loopback address the token is optional; anywhere else it is required, since the endpoint can
 * reload the configuration.
 */
public record AdminConfig(HostPort listen, Token token) {
    public AdminConfig {
        Objects.requireNonNull(listen, "listen");
        if (token == null && !isLoopback(listen.host())) {
            throw new IllegalArgumentException("listens on " + listen + ", beyond this host, so it needs a token: add"
                    + " \"token\" (sent as Authorization: Bearer ...; generate one with: " + Token.HOW_TO_GENERATE
                    + "), or listen on 127.0.0.1");
        }
    }

    /** An endpoint on {@code listen} with no token: loopback only. */
    public static AdminConfig local(HostPort listen) {
        return new AdminConfig(listen, null);
    }

    /** Whether {@code host} surely means this host: a loopback literal, or "localhost". Names are not resolved. */
    static boolean isLoopback(String host) {
        if (host.equalsIgnoreCase("localhost")) {
            return true;
        }
        return IpLiteral.literal(host).map(a -> a.isLoopbackAddress()).orElse(false);
    }

    @Override
    public String toString() {
        return "AdminConfig[listen=" + listen + ", token=" + (token == null ? "none" : "MASKED") + "]";
    }
}
