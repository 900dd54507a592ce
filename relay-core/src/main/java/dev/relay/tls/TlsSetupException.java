package dev.relay.tls;

import java.io.IOException;

/**
 * A certificate, key, keystore or CA file that cannot be used: a configuration error, found at start, as opposed to
 * a failure on the network. The message names the file where one is at fault.
 */
public final class TlsSetupException extends IOException {
    TlsSetupException(String message, Throwable cause) {
        super(message, cause);
    }
}
