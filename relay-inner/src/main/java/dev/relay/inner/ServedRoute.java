package dev.relay.inner;

import dev.relay.config.HostPort;
import dev.relay.config.Route.ProxyVersion;

/**
 * A route this inner serves, as the outer offered it and {@code inner.allowTargets} let it through: where its target
 * is, which PROXY header (if any) goes to the target first, and whether it carries UDP datagrams instead of a stream.
 */
record ServedRoute(String name, HostPort target, ProxyVersion proxy, boolean udp) {
    @Override
    public String toString() {
        return name + " -> " + (udp ? "udp " : "") + target
                + (proxy == null ? "" : " (PROXY " + proxy.name().toLowerCase() + ")");
    }
}
