package dev.relay.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.relay.config.AdminConfig;
import dev.relay.config.ClientTls;
import dev.relay.config.ConfigFile;
import dev.relay.config.HostPort;
import dev.relay.config.InnerConfig;
import dev.relay.config.OuterConfig;
import dev.relay.config.Route;
import dev.relay.config.ServerTls;
import dev.relay.net.AddressRule;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The JSON files of docs/deploy.md load and mean what the page says; the HAProxy config and the systemd units agree
 * with them. {@code SeveralOutersIT} runs all of them for real.
 */
class DeployDocTest {
    private static final Path ETC = Path.of("/etc/relay");

    @Test
    void theOutersFileMeansWhatThePageSays() throws Exception {
        OuterConfig outer = ConfigFile.parse("deploy.md outer.json", ETC, DeployDoc.block("outer.json"), Map.of())
                .outer();
        assertEquals(new HostPort("0.0.0.0", 7000), outer.listen());
        assertEquals(ServerTls.pem(ETC.resolve("relay.crt"), ETC.resolve("relay.key")), outer.tls());
        assertEquals(new HostPort("0.0.0.0", 9700), outer.admin().listen());
        assertTrue(outer.admin().token() != null, "an admin endpoint beyond loopback has a token");
        assertEquals(List.of(AddressRule.parse("10.0.0.10")), outer.trustedProxies());
        Route web = outer.route("web");
        assertTrue(web.acceptProxyProtocol());
        assertEquals(8080, web.listen().port());
        assertNull(web.proxyProtocol());
    }

    @Test
    void theInnersFileListsEveryOuter() throws Exception {
        String fingerprint = "sha256:" + String.join(":", Collections.nCopies(32, "AB"));
        String text = DeployDoc.block("inner.json");
        assertTrue(text.contains("\"sha256:AB:CD:...\""), text);
        InnerConfig inner = ConfigFile.parse(
                        "deploy.md inner.json", ETC, text.replace("sha256:AB:CD:...", fingerprint), Map.of())
                .inner(null);
        assertEquals(
                List.of(new HostPort("outer-a.example.com", 7000), new HostPort("outer-b.example.com", 7000)),
                inner.connect());
        assertEquals(ClientTls.pinned(fingerprint), inner.tls());
        assertEquals(List.of(AddressRule.parse("192.168.1.5:80")), inner.allowTargets());
        assertEquals(AdminConfig.local(new HostPort("127.0.0.1", 9701)), inner.admin());
    }

    @Test
    void haproxySendsToEveryOutersRoutePortAndChecksItsAdminPort() throws Exception {
        OuterConfig outer = ConfigFile.parse("outer.json", ETC, DeployDoc.block("outer.json"), Map.of())
                .outer();
        String cfg = DeployDoc.block("haproxy.cfg");
        int route = outer.route("web").listen().port();
        assertTrue(cfg.contains("server outer-a 10.0.0.21:" + route + "\n"), cfg);
        assertTrue(cfg.contains("server outer-b 10.0.0.22:" + route + "\n"), cfg);
        assertTrue(
                cfg.contains(
                        "send-proxy-v2 check port " + outer.admin().listen().port()),
                cfg);
        assertTrue(cfg.contains("http-check send meth GET uri /readyz"), cfg);
        // The balancer is the one proxy the outers believe.
        assertTrue(outer.trustedProxies().get(0).matches(InetAddress.getByName("10.0.0.10")));
    }

    @Test
    void theUnitsStartEachSideWithItsFile() throws Exception {
        for (String side : List.of("outer", "inner")) {
            String unit = DeployDoc.block("relay-" + side + ".service");
            Matcher exec = Pattern.compile("(?m)^ExecStart=(.*)$").matcher(unit);
            assertTrue(exec.find(), unit);
            assertEquals(
                    "/usr/bin/java -jar /opt/relay/relay-" + side + ".jar --config /etc/relay/" + side + ".json",
                    exec.group(1));
            assertTrue(unit.contains("SuccessExitStatus=143"), unit);
        }
    }
}
