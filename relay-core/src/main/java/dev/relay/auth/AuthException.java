package dev.relay.auth;

import java.io.IOException;

/** The handshake failed because a side does not hold the token, or speaks another protocol version. */
public final class AuthException extends IOException {
    public AuthException(String message) {
        super(message);
    }
}
