package dev.relay.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Secrets stay secret: files others can read are flagged, and error messages never quote the token. */
class SecretWarningsTest {
    private static final String SECRET = "s3cret-token-value-0123456789";

    @TempDir
    Path dir;

    private Path write(String name, String text, String perms) throws IOException {
        Path p = dir.resolve(name);
        Files.writeString(p, text);
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(perms));
        return p;
    }

    private static final String CONFIG = """
            { "outer": { "listen": 7000 }, "token": "%s",
              "routes": [ { "name": "a", "listen": 5000, "target": "10.0.0.1:22" } ] }
            """.formatted(SECRET);

    @Test
    void aConfigHoldingTheTokenThatOthersCanReadIsFlagged() throws Exception {
        Path p = write("routes.json", CONFIG, "rw-r--r--");
        List<String> w = ConfigFile.load(p, Map.of()).secretWarnings(p, Map.of());
        assertEquals(1, w.size(), w.toString());
        assertTrue(w.get(0).contains("chmod 600") && w.get(0).contains("token"), w.get(0));
        assertFalse(w.get(0).contains(SECRET));
    }

    @Test
    void aPrivateConfigOrATokenFromTheEnvironmentIsNotFlagged() throws Exception {
        Path p = write("routes.json", CONFIG, "rw-------");
        assertEquals(List.of(), ConfigFile.load(p, Map.of()).secretWarnings(p, Map.of()));
        Path shared = write("shared.json", CONFIG, "rw-r--r--");
        Map<String, String> env = Map.of("RELAY_TOKEN", "from-the-environment-0123");
        assertEquals(List.of(), ConfigFile.load(shared, env).secretWarnings(shared, env));
    }

    @Test
    void aKeyOthersCanReadIsFlagged() throws Exception {
        write("relay.key", "-----BEGIN PRIVATE KEY-----\n-----END PRIVATE KEY-----\n", "rw-r--r--");
        Path p = write("routes.json", """
                { "outer": { "listen": 7000, "tls": { "cert": "relay.crt", "key": "relay.key" } },
                  "routes": [ { "name": "a", "listen": 5000, "target": "10.0.0.1:22" } ] }
                """, "rw-r--r--");
        Map<String, String> env = Map.of("RELAY_TOKEN", "from-the-environment-0123");
        List<String> w = ConfigFile.load(p, env).secretWarnings(p, env);
        assertEquals(1, w.size(), w.toString());
        assertTrue(w.get(0).contains("relay.key") && w.get(0).contains("private key"), w.get(0));
    }

    @Test
    void anUnquotedTokenIsNotEchoedInTheSyntaxError() throws Exception {
        Path p = write("routes.json", """
                { "outer": { "listen": 7000 }, "token": %s }
                """.formatted(SECRET), "rw-------");
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigFile.load(p, Map.of()));
        assertTrue(e.getMessage().contains("line 1"), e.getMessage());
        assertFalse(e.getMessage().contains(SECRET), e.getMessage());
        assertFalse(e.getMessage().contains("s3cret"), e.getMessage());
    }
}
