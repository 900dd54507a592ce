package dev.relay.protocol;

import java.util.Objects;

/** Any message that travels in a frame; {@link InnerToOuter} and {@link OuterToInner} say which way. */
public sealed interface Message permits InnerToOuter, OuterToInner {

    /** Sent by both sides of a control channel every heartbeat interval, so silence means a dead peer. */
    record Heartbeat() implements InnerToOuter, OuterToInner {}

    /** The sender is about to close this connection because of what the receiver did; {@code message} says why. */
    record Error(String message) implements InnerToOuter, OuterToInner {
        public Error {
            Objects.requireNonNull(message, "message");
        }
    }
}
