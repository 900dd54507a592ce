package dev.relay.protocol;

import java.io.IOException;

/** The peer sent something the protocol does not allow; the message says what, for the log and the peer. */
public final class ProtocolException extends IOException {
    public ProtocolException(String message) {
        super(message);
    }

    public ProtocolException(String message, Throwable cause) {
        super(message, cause);
    }
}
