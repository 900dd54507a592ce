package dev.relay.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.relay.net.AddressRule;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/** Every file in {@code config/valid} loads; every file in {@code config/invalid} fails with its expected message. */
class ConfigFileTest {
    private static final Map<String, String> NO_ENV = Map.of();

    @TestFactory
    Stream<DynamicTest> everyValidFileLoads() throws Exception {
        List<Path> files = fixtures("valid");
        // The README's example is checked from README.md itself, below.
        assertTrue(files.size() >= 4, "valid fixtures: " + files);
        return files.stream()
                .map(file -> DynamicTest.dynamicTest(file.getFileName().toString(), () -> {
                    JsonNode sections = new ObjectMapper().readTree(file.toFile());
                    boolean outer = sections.has("outer");
                    boolean inner = sections.has("inner");
                    assertTrue(outer || inner, file + " has neither an outer nor an inner section");
                    ConfigFile config = ConfigFile.load(file, NO_ENV);
                    if (outer) {
                        assertNotNull(config.outer());
                    }
                    if (inner) {
                        assertNotNull(config.inner(null));
                    }
                }));
    }

    @TestFactory
    Stream<DynamicTest> everyInvalidFileFailsWithItsMessage() throws Exception {
        List<Path> files = fixtures("invalid");
        assertTrue(files.size() >= 19, "invalid fixtures: " + files);
        return files.stream()
                .map(file -> DynamicTest.dynamicTest(file.getFileName().toString(), () -> {
                    Path expectedFile =
                            file.resolveSibling(file.getFileName().toString().replace(".json", ".expected"));
                    assertTrue(Files.exists(expectedFile), "missing " + expectedFile);
                    String expected = Files.readString(expectedFile).strip();
                    assertFalse(expected.isEmpty(), expectedFile + " is empty");
                    List<String> failures = failures(file);
                    assertFalse(failures.isEmpty(), file + " loaded for both outer and inner");
                    for (String m : failures) {
                        assertTrue(m.startsWith(file + ": "), "message does not start with the path: " + m);
                    }
                    assertTrue(
                            failures.stream().anyMatch(m -> m.contains(expected)),
                            "expected a message containing [" + expected + "], got " + failures);
                }));
    }

    @Test
    void theReadmeExampleMeansWhatItSays() throws Exception {
        ConfigFile config = readmeExample(NO_ENV);
        OuterConfig outer = config.outer();
        assertEquals(new HostPort("0.0.0.0", 7000), outer.listen());
        assertEquals("a-long-random-secret", outer.token().value());
        assertEquals(
                List.of(
                        Route.of("ssh", new HostPort("0.0.0.0", 5122), new HostPort("192.168.1.4", 22)),
                        Route.of("web", new HostPort("0.0.0.0", 5128), new HostPort("192.168.1.5", 80))),
                outer.routes());
        assertEquals(Tuning.DEFAULTS, outer.tuning());
        InnerConfig inner = config.inner(null);
        assertEquals(List.of(new HostPort("relay.example.com", 7000)), inner.connect());
        assertEquals(InnerConfig.DEFAULT_NAME, inner.name());
    }

    @Test
    void theReadmeSecureSetupFragmentMeansWhatItSays() throws Exception {
        // The fragment has only "outer" and "inner"; the rest of a file is added around it, and its placeholder
        // fingerprint ("sha256:AB:CD:...") becomes a whole one.
        String fragment = readmeBlock("## Secure setup", "json");
        String fingerprint = "sha256:" + String.join(":", Collections.nCopies(32, "AB"));
        assertTrue(fragment.contains("\"sha256:AB:CD:...\""), fragment);
        String file = "{" + fragment.replace("\"sha256:AB:CD:...\"", "\"" + fingerprint + "\"")
                + ", \"token\": \"a-long-random-secret\","
                + " \"routes\": [ { \"name\": \"ssh\", \"listen\": 5122, \"target\": \"192.168.1.4:22\" } ] }";
        Path dir = Path.of("/etc/relay");
        ConfigFile config = ConfigFile.parse(README + " (Secure setup)", dir, file, NO_ENV);
        OuterConfig outer = config.outer();
        assertEquals(new HostPort("0.0.0.0", 7000), outer.listen());
        assertEquals(ServerTls.pem(dir.resolve("relay.crt"), dir.resolve("relay.key")), outer.tls());
        InnerConfig inner = config.inner(null);
        assertEquals(List.of(new HostPort("relay.example.com", 7000)), inner.connect());
        assertEquals(ClientTls.pinned(fingerprint), inner.tls());
        assertEquals(
                List.of(AddressRule.parse("192.168.1.0/24:22"), AddressRule.parse("192.168.1.5:80")),
                inner.allowTargets());
    }

    @Test
    void theRepositoryRoutesFileLoadsOnlyOnceItsPlaceholderTokenIsReplaced() throws Exception {
        // Surefire runs in the module directory; the example config sits at the repository root.
        ConfigException e =
                assertThrows(ConfigException.class, () -> ConfigFile.load(Path.of("../routes.json"), NO_ENV));
        assertTrue(e.getMessage().contains("placeholder"), e.getMessage());
        ConfigFile config = ConfigFile.load(
                Path.of("../routes.json"), Map.of(ConfigFile.TOKEN_ENV, "a-real-secret-from-the-environment"));
        OuterConfig outer = config.outer();
        assertEquals(2, outer.routes().size());
        assertEquals("ssh", outer.routes().get(0).name());
        assertEquals(new HostPort("192.168.1.5", 80), outer.routes().get(1).target());
        assertNotNull(config.inner(null));
    }

    @Test
    void routeOptionsAndTuningAreRead() throws Exception {
        OuterConfig routes =
                ConfigFile.load(fixture("valid", "route-options.json"), NO_ENV).outer();
        assertEquals(new HostPort("0.0.0.0", 7000), routes.listen());
        assertEquals(Duration.ofMinutes(5), routes.routes().get(0).idleTimeout());
        assertEquals(4, routes.routes().get(0).maxSessions());
        assertEquals(2, routes.routes().get(0).maxSessionsPerSource());
        assertEquals(Duration.ofMillis(500), routes.routes().get(1).idleTimeout());
        assertEquals(Tuning.DEFAULT_MAX_SESSIONS, routes.routes().get(1).maxSessions());
        assertEquals(Tuning.DEFAULT_MAX_SESSIONS, routes.routes().get(1).maxSessionsPerSource(), "no limit by default");

        ConfigFile full = ConfigFile.load(fixture("valid", "full-tuning.json"), NO_ENV);
        Tuning t = full.outer().tuning();
        assertEquals(
                new Tuning(
                        Duration.ofSeconds(2),
                        Duration.ofSeconds(4),
                        Duration.ofMillis(7500),
                        Duration.ofSeconds(3),
                        100,
                        Duration.ofMillis(250),
                        Duration.ofSeconds(60),
                        Duration.ofSeconds(90),
                        5,
                        Duration.ofMillis(2500)),
                t);
        // A route without its own limit takes the tuning's.
        assertEquals(100, full.outer().routes().get(0).maxSessions());
        assertEquals("home-lab", full.inner(null).name());
        assertEquals(t, full.inner(null).tuning());
    }

    @Test
    void udpRoutesGetTheirProtocolAndAnIdleTimeoutByDefault() throws Exception {
        List<Route> routes = ConfigFile.load(fixture("valid", "udp-routes.json"), NO_ENV)
                .outer()
                .routes();
        assertEquals(Route.Protocol.UDP, routes.get(0).protocol());
        assertEquals(Route.DEFAULT_UDP_IDLE_TIMEOUT, routes.get(0).idleTimeout());
        assertEquals(Duration.ofSeconds(60), Route.DEFAULT_UDP_IDLE_TIMEOUT);
        // The same port number over TCP is another port.
        assertEquals(Route.Protocol.TCP, routes.get(1).protocol());
        assertEquals(Duration.ZERO, routes.get(1).idleTimeout());
        assertEquals(Duration.ofSeconds(180), routes.get(2).idleTimeout());
        assertEquals(50, routes.get(2).maxSessions());
    }

    @Test
    void ipv6AddressesAreRead() throws Exception {
        OuterConfig outer =
                ConfigFile.load(fixture("valid", "ipv6-listen.json"), NO_ENV).outer();
        assertEquals(new HostPort("::1", 7000), outer.listen());
        assertEquals(new HostPort("fd00::5", 5432), outer.routes().get(0).target());
    }

    @Test
    void theEnvironmentTokenOverridesTheFile() throws Exception {
        String secret = "token-from-the-environment";
        ConfigFile config = readmeExample(Map.of(ConfigFile.TOKEN_ENV, secret));
        assertEquals(secret, config.outer().token().value());
        assertEquals(secret, config.inner(null).token().value());
        // The environment also stands in for a token missing from the file.
        ConfigFile noToken =
                ConfigFile.load(fixture("invalid", "missing-token.json"), Map.of(ConfigFile.TOKEN_ENV, secret));
        assertEquals(secret, noToken.outer().token().value());
    }

    @Test
    void aShortEnvironmentTokenIsNamed() throws Exception {
        ConfigException e =
                assertThrows(ConfigException.class, () -> readmeExample(Map.of(ConfigFile.TOKEN_ENV, "too-short")));
        assertTrue(e.getMessage().startsWith(README + ": "), e.getMessage());
        assertTrue(e.getMessage().contains("RELAY_TOKEN"), e.getMessage());
        assertFalse(e.getMessage().contains("too-short"), "the message shows the secret: " + e.getMessage());
    }

    @Test
    void aShortTokenInTheFileIsNotShown() throws Exception {
        Path file = fixture("invalid", "short-token.json");
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigFile.load(file, NO_ENV));
        assertFalse(e.getMessage().contains("fifteen-chars!!"), e.getMessage());
    }

    @Test
    void theConnectOverrideWins() throws Exception {
        ConfigFile config = readmeExample(NO_ENV);
        assertEquals(
                List.of(new HostPort("127.0.0.1", 9)),
                config.inner("127.0.0.1:9").connect());
        // It also stands in for a missing inner section.
        ConfigFile outerOnly = ConfigFile.load(fixture("valid", "route-options.json"), NO_ENV);
        assertEquals(
                List.of(new HostPort("127.0.0.1", 9)),
                outerOnly.inner("127.0.0.1:9").connect());
        ConfigException e = assertThrows(ConfigException.class, () -> config.inner("nowhere"));
        assertTrue(e.getMessage().contains("--connect"), e.getMessage());
    }

    @Test
    void innerConnectIsOneOuterOrAList() throws Exception {
        ConfigFile one = ConfigFile.parse(
                "<one>",
                "{\"inner\": {\"connect\": \"a.example.com:7000\"}, \"token\": \"a-token-long-enough-1\"}",
                NO_ENV);
        assertEquals(
                List.of(new HostPort("a.example.com", 7000)), one.inner(null).connect());
        InnerConfig several =
                ConfigFile.load(fixture("valid", "several-outers.json"), NO_ENV).inner(null);
        assertEquals(
                List.of(new HostPort("outer-a.example.com", 7000), new HostPort("outer-b.example.com", 7000)),
                several.connect());
    }

    @Test
    void repeatedConnectOverridesReplaceTheWholeList() throws Exception {
        ConfigFile several = ConfigFile.load(fixture("valid", "several-outers.json"), NO_ENV);
        assertEquals(
                List.of(new HostPort("127.0.0.1", 9), new HostPort("127.0.0.2", 9)),
                several.innerOverriding(List.of("127.0.0.1:9", "127.0.0.2:9")).connect());
        assertEquals(several.inner(null), several.innerOverriding(List.of()), "no --connect keeps the file's");
        ConfigException twice = assertThrows(
                ConfigException.class, () -> several.innerOverriding(List.of("127.0.0.1:9", "127.0.0.1:9")));
        assertTrue(twice.getMessage().contains("127.0.0.1:9 is listed twice"), twice.getMessage());
        ConfigException bad =
                assertThrows(ConfigException.class, () -> several.innerOverriding(List.of("127.0.0.1:9", "nowhere")));
        assertTrue(bad.getMessage().contains("--connect") && bad.getMessage().contains("nowhere"), bad.getMessage());
    }

    @Test
    void parseNamesItsSource() {
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigFile.parse("<test>", "{", NO_ENV));
        assertTrue(e.getMessage().startsWith("<test>: "), e.getMessage());
    }

    @Test
    void aMissingFileIsAConfigError() {
        Path file = Path.of("target", "no-such-config.json");
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigFile.load(file, NO_ENV));
        assertTrue(e.getMessage().startsWith(file + ": "), e.getMessage());
        assertTrue(e.getMessage().contains("no such file"), e.getMessage());
    }

    @Test
    void secretsNeverPrint() throws Exception {
        ConfigFile config = readmeExample(NO_ENV);
        String secret = config.outer().token().value();
        assertFalse(new Token(secret).toString().contains(secret));
        assertTrue(new Token(secret).toString().contains("MASKED"));
        String outer = config.outer().toString();
        assertFalse(outer.contains(secret), outer);
        assertTrue(outer.contains("ssh"), outer);
        String inner = config.inner(null).toString();
        assertFalse(inner.contains(secret), inner);
    }

    @Test
    void theOperatingSettingsAreRead() throws Exception {
        ConfigFile file = ConfigFile.load(fixture("valid", "operations.json"), NO_ENV);
        OuterConfig outer = file.outer();
        assertEquals(new HostPort("0.0.0.0", 9700), outer.admin().listen());
        assertEquals("admin-token-0123456789abcdef", outer.admin().token().value());
        assertFalse(outer.admin().toString().contains("admin-token"), "the admin token is masked");
        assertEquals(
                List.of(AddressRule.parse("10.0.0.0/8"), AddressRule.parse("2001:db8::/32")), outer.trustedProxies());
        assertEquals(Route.ProxyVersion.V2, outer.route("web").proxyProtocol());
        assertTrue(outer.route("web").acceptProxyProtocol());
        assertEquals(Route.ProxyVersion.V1, outer.route("smtp").proxyProtocol());
        assertFalse(outer.route("smtp").acceptProxyProtocol());
        InnerConfig inner = file.inner(null);
        assertEquals(AdminConfig.local(new HostPort("127.0.0.1", 9701)), inner.admin());
    }

    @Test
    void theReadmesOperatingExampleMeansWhatItSays() throws Exception {
        ConfigFile config =
                ConfigFile.parse(README + " (Operating relay)", readmeBlock("## Operating relay", "json"), NO_ENV);
        OuterConfig outer = config.outer();
        assertEquals(AdminConfig.local(new HostPort("127.0.0.1", 9700)), outer.admin());
        assertEquals(List.of(AddressRule.parse("10.0.0.0/8")), outer.trustedProxies());
        assertEquals(Route.ProxyVersion.V2, outer.route("web").proxyProtocol());
        assertTrue(outer.route("web").acceptProxyProtocol());
        assertEquals(
                AdminConfig.local(new HostPort("127.0.0.1", 9701)),
                config.inner(null).admin());
    }

    @Test
    void theReadmesSeveralInnersExampleMeansWhatItSays() throws Exception {
        OuterConfig outer = ConfigFile.parse(
                        README + " (Several inners)", readmeBlock("### Several inners", "json"), NO_ENV)
                .outer();
        assertEquals(null, outer.token());
        assertEquals(Set.of("site-a", "site-b"), outer.inners().keySet());
        assertEquals(outer.inners().get("site-a"), outer.tokenFor("site-a"));
        assertEquals(null, outer.tokenFor("site-c"), "an unlisted name may not connect without a top-level token");
        assertTrue(outer.route("web").servedBy("site-b"));
        assertTrue(!outer.route("nas").servedBy("site-b") && outer.route("nas").servedBy("site-a"));
    }

    @Test
    void severalInnersFixtureKeepsWeightsAndBalance() throws Exception {
        OuterConfig outer =
                ConfigFile.load(fixture("valid", "several-inners.json"), NO_ENV).outer();
        assertEquals(
                List.of(new Route.InnerWeight("site-a", 1), new Route.InnerWeight("site-b", 3)),
                outer.route("web").inners());
        assertEquals(Route.Balance.FEWEST, outer.route("web").balance());
        assertEquals(Duration.ofSeconds(5), outer.route("web").healthCheck());
        assertEquals(Route.Balance.ROUND_ROBIN, outer.route("nas").balance());
        assertEquals(3, outer.route("web").weight("site-b"));
    }

    @Test
    void theReadmesExampleErrorsAreWhatRelaySays() throws Exception {
        String md = Files.readString(README);
        int at = md.indexOf("```\n", md.indexOf("A bad file stops the program"));
        List<String> shown =
                md.substring(at + 4, md.indexOf("```", at + 4)).lines().toList();
        assertEquals(2, shown.size(), shown.toString());
        String base = "{ \"outer\": { \"listen\": 7000 }, \"token\": \"a-long-random-secret\", \"routes\": [ %s ] }";
        String badPort = base.formatted("{ \"name\": \"ssh\", \"listen\": 5122, \"target\": \"h:22\" },"
                + " { \"name\": \"web\", \"listen\": 70000, \"target\": \"h:80\" }");
        String typo =
                base.formatted("{ \"name\": \"ssh\", \"listen\": 5122, \"target\": \"h:22\", \"idletimeout\": 60 }");
        for (int i = 0; i < 2; i++) {
            String json = i == 0 ? badPort : typo;
            ConfigException e = assertThrows(
                    ConfigException.class,
                    () -> ConfigFile.parse("routes.json", json, NO_ENV).outer());
            String said = e.getMessage().substring(e.getMessage().indexOf("routes["));
            String readme = shown.get(i).substring(shown.get(i).indexOf("routes["));
            assertEquals(said, readme, "the README's example error drifted from what relay says");
        }
    }

    /** Surefire runs in the module directory; the README sits at the repository root. */
    private static final Path README = Path.of("../README.md");

    /** The README's example routes.json, parsed as it stands there. */
    private static ConfigFile readmeExample(Map<String, String> env) throws IOException, ConfigException {
        return ConfigFile.parse(README.toString(), readmeBlock("## routes.json", "json"), env);
    }

    /**
     * The first code block in {@code language} in the README section whose heading starts with {@code heading}. The
     * block must be in that section: one moved or removed fails here, rather than a later section's block being
     * checked instead.
     */
    private static String readmeBlock(String heading, String language) throws IOException {
        String md = Files.readString(README);
        Matcher section =
                Pattern.compile("(?m)^" + Pattern.quote(heading) + "\\b.*$").matcher(md);
        assertTrue(section.find(), README + " has no heading \"" + heading + "\"");
        Matcher next = Pattern.compile("(?m)^## ").matcher(md);
        int end = next.find(section.end()) ? next.start() : md.length();
        Matcher open =
                Pattern.compile("(?m)^[ \\t]*```" + language + "\n").matcher(md).region(section.end(), end);
        assertTrue(open.find(), "no ```" + language + " block under \"" + heading + "\" in " + README);
        int close = md.indexOf("```", open.end());
        assertTrue(close > 0 && close < end, "the ```" + language + " block under \"" + heading + "\" is not closed");
        return md.substring(open.end(), close);
    }

    /** Every message the file produces, trying the outer's part and the inner's part when it loads. */
    private static List<String> failures(Path file) {
        List<String> failures = new ArrayList<>();
        ConfigFile config;
        try {
            config = ConfigFile.load(file, NO_ENV);
        } catch (ConfigException e) {
            return List.of(e.getMessage());
        } catch (RuntimeException e) {
            return fail(file + " escaped as " + e, e);
        }
        try {
            config.outer();
        } catch (ConfigException e) {
            failures.add(e.getMessage());
        }
        try {
            config.inner(null);
        } catch (ConfigException e) {
            failures.add(e.getMessage());
        }
        return failures;
    }

    private static List<Path> fixtures(String folder) throws IOException, URISyntaxException {
        try (Stream<Path> files = Files.list(fixture(folder, "."))) {
            return files.filter(p -> p.toString().endsWith(".json")).sorted().toList();
        }
    }

    private static Path fixture(String folder, String name) throws URISyntaxException {
        var url = ConfigFileTest.class.getResource("/config/" + folder);
        assertNotNull(url, "no fixture folder config/" + folder);
        return Path.of(url.toURI()).resolve(name).normalize();
    }
}
