package dev.relay.inner;

import dev.relay.admin.UdpStats;
import dev.relay.protocol.Datagrams;
import dev.relay.session.DatagramSession;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.PortUnreachableException;
import java.net.SocketException;
import java.util.Arrays;

/**
 * A UDP flow's socket towards its target: a socket of its own, connected to the target, so the kernel hands it only
 * the target's replies, and they map back to this flow's user. Read by the flow's {@code flow-<id>-in} thread,
 * written by its {@code flow-<id>-out} thread; closed by its {@link DatagramSession} alone.
 */
final class UdpTarget implements DatagramSession.End {
    /** Room for any datagram IPv6 can bring, so that a too-large one is seen whole and dropped, never cut. */
    private static final int RECEIVE_BUFFER = 65_535;

    private final DatagramSocket socket;
    private final UdpStats stats;
    /** Held for the flow's life: the price of blocking receives, one per flow (see README, UDP routes). */
    private final byte[] buffer = new byte[RECEIVE_BUFFER];

    UdpTarget(DatagramSocket socket, UdpStats stats) {
        this.socket = socket;
        this.stats = stats;
    }

    @Override
    public byte[] receive() throws IOException {
        DatagramPacket p = new DatagramPacket(buffer, buffer.length);
        for (; ; ) {
            try {
                socket.receive(p);
            } catch (PortUnreachableException e) {
                // The answer to an earlier send: that datagram was lost, as UDP allows; the flow goes on.
                stats.dropped(UdpStats.Drop.UNREACHABLE);
                continue;
            } catch (SocketException e) {
                if (socket.isClosed()) {
                    return null;
                }
                throw e;
            }
            if (p.getLength() > Datagrams.MAX_DATAGRAM) {
                stats.dropped(UdpStats.Drop.TOO_BIG);
                continue;
            }
            return Arrays.copyOf(buffer, p.getLength());
        }
    }

    @Override
    public void send(byte[] datagram) throws IOException {
        try {
            socket.send(new DatagramPacket(datagram, datagram.length));
        } catch (IOException e) {
            if (socket.isClosed()) {
                throw e;
            }
            stats.dropped(UdpStats.Drop.UNREACHABLE);
        }
    }

    @Override
    public void close() {
        socket.close();
    }
}
