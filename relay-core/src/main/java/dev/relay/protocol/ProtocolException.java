package dev.relay.protocol;

import java.io.IOException;

/**
 * The peer sent something the protocol does not allow; the message says what, for the log and the peer. It may quote
 * the peer, so it is made printable and short.
 */
public final class ProtocolException extends IOException {
    public ProtocolException(String message) {
        super(Frames.printable(message));
    }

    public ProtocolException(String message, Throwable cause) {
        super(Frames.printable(message), cause);
    }
}
