package dev.relay.session;

/**
 * What a {@link Session} does with a data connection that carries chunks ({@link dev.relay.protocol.Chunks}) once the
 * session is over: each side offers to keep it in its end marker, and it carries another session only if both did and
 * the session ended cleanly. Otherwise the session closes it, as it closes every other socket of its own.
 */
public interface Reuse {
    /** Whether this side will keep the connection, asked as it ends its direction towards the other side. */
    boolean offer();

    /**
     * Called once when the session is over, whether or not {@link #offer} was asked. With {@code reused} both sides
     * kept the connection and the session ended cleanly: it is the caller's again, open and idle. Otherwise the session
     * has closed it.
     */
    void ended(boolean reused);
}
