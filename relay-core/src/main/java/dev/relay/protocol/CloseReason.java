package dev.relay.protocol;

import java.io.EOFException;
import java.io.IOException;
import java.net.SocketTimeoutException;

/**
 * Why a connection to the other relay program ended, in the words of its one log line: the same cause reads the same
 * on both sides, and whatever the peer wrote is made printable first.
 */
public final class CloseReason {
    private CloseReason() {}

    /**
     * @param peer    who is at the other end, e.g. {@code inner} or {@code outer}
     * @param timeout what a read timeout means here, e.g. {@code no heartbeat for 20s}
     */
    public static String of(IOException e, String peer, String timeout) {
        return switch (e) {
            case SocketTimeoutException t -> timeout;
            case EOFException eof -> "connection closed";
            case Frames.PeerError said -> peer + " said: " + said.getMessage();
            case ProtocolException bad -> "protocol violation: " + bad.getMessage();
            case Channel.Stalled stalled -> stalled.getMessage();
            default -> Frames.printable(e.getMessage() == null ? e.toString() : e.getMessage());
        };
    }
}
