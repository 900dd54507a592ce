package dev.relay.e2e;

import dev.relay.config.ClientTls;
import dev.relay.config.ServerTls;
import dev.relay.tls.Fingerprint;
import dev.relay.tls.SelfSigned;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.List;

/** A self-signed certificate for 127.0.0.1 and localhost, written to PEM files, as {@code --gen-cert} makes them. */
record TestCert(Path cert, Path key, String fingerprint) {

    static TestCert create(String... names) {
        try {
            SelfSigned s = SelfSigned.generate(List.of(names), Duration.ofDays(1));
            Path dir = Files.createTempDirectory("relay-cert");
            Path cert = Files.writeString(dir.resolve("relay.crt"), s.certificatePem());
            Path key = Files.writeString(dir.resolve("relay.key"), s.keyPem());
            cert.toFile().deleteOnExit();
            key.toFile().deleteOnExit();
            dir.toFile().deleteOnExit();
            return new TestCert(cert, key, Fingerprint.of(s.certificate()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static final class Shared {
        static final TestCert CERT = create("localhost", "127.0.0.1");
    }

    /** One certificate for the whole test run: generating keys is the slow part. */
    static TestCert shared() {
        return Shared.CERT;
    }

    ServerTls server() {
        return ServerTls.pem(cert, key);
    }

    ClientTls pinned() {
        return ClientTls.pinned(fingerprint);
    }

    ClientTls ca() {
        return ClientTls.ca(cert);
    }
}
