package dev.relay.inner;

import dev.relay.config.HostPort;
import dev.relay.config.Route.ProxyVersion;

/**
 * A route this inner serves, as the outer offered it and {@code inner.allowTargets} let it through: where its target
 * is, and which PROXY header (if any) goes to the target first.
 */
record ServedRoute(String name, HostPort target, ProxyVersion proxy) {
    @Override
    public String toString() {
        return name + " -> " + target
                + (proxy == null ? "" : " (PROXY " + proxy.name().toLowerCase() + ")");
    }
}
