package dev.relay.outer;

import dev.relay.tls.Fingerprint;
import dev.relay.tls.SelfSigned;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.List;

/** {@code relay-outer.jar --gen-cert}: a self-signed certificate and key, and the fingerprint to pin on the inner. */
final class CertCommand {
    /** How long a generated certificate is valid: long, because the inner pins it rather than checking a CA. */
    static final Duration VALIDITY = Duration.ofDays(3650);

    static final String CERT_FILE = "relay.crt";
    static final String KEY_FILE = "relay.key";

    private CertCommand() {}

    /** Writes the files and prints what to put in routes.json; returns the exit status. */
    static int run(List<String> names, Path dir, PrintStream out, PrintStream err) {
        Path cert = dir.resolve(CERT_FILE);
        Path key = dir.resolve(KEY_FILE);
        SelfSigned s;
        try {
            s = SelfSigned.generate(names, VALIDITY);
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            err.println("relay-outer: cannot generate a certificate: " + e.getMessage());
            return 2;
        }
        try {
            Files.createDirectories(dir);
            // The key is created readable by its owner only, before a single byte of it is written.
            Files.createFile(key, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(key, s.keyPem(), StandardOpenOption.TRUNCATE_EXISTING);
            Files.writeString(cert, s.certificatePem(), StandardOpenOption.CREATE_NEW);
        } catch (FileAlreadyExistsException e) {
            err.println("relay-outer: " + e.getFile() + " already exists; not overwriting it (move it away first)");
            return 2;
        } catch (IOException | UnsupportedOperationException e) {
            err.println("relay-outer: cannot write " + dir + ": " + e.getMessage());
            return 1;
        }
        String fp = Fingerprint.of(s.certificate());
        out.println("wrote " + cert + " and " + key + " (names: " + String.join(", ", names) + ")");
        out.println("fingerprint: " + fp);
        out.println();
        out.println("on the outer:  \"outer\": { \"listen\": \"0.0.0.0:7000\", \"tls\": { \"cert\": \"" + CERT_FILE
                + "\", \"key\": \"" + KEY_FILE + "\" } }");
        out.println(
                "on the inner:  \"inner\": { \"connect\": \"relay.example.com:7000\", \"tls\": { \"fingerprint\": \""
                        + fp + "\" } }");
        return 0;
    }
}
