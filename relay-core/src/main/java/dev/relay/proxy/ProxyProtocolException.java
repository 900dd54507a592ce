package dev.relay.proxy;

import dev.relay.protocol.Frames;
import java.io.IOException;

/** A connection's PROXY header is missing, malformed, oversized or truncated; the message says which, fit to log. */
public final class ProxyProtocolException extends IOException {
    ProxyProtocolException(String message) {
        // Messages never quote the peer's bytes; printable() is a second line of defence for one log line.
        super(Frames.printable(message));
    }
}
