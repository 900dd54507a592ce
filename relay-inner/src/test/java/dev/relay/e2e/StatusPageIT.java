package dev.relay.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.relay.config.AdminConfig;
import dev.relay.config.HostPort;
import dev.relay.config.OuterConfig;
import dev.relay.config.Token;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The status page at {@code /} of a real outer and inner, in Debian's headless Chromium: what a person sees, that it
 * follows the tunnel as sessions open and close, the token prompt, and a phone's screen.
 */
class StatusPageIT {
    private static final HostPort ANY = new HostPort("127.0.0.1", 0);
    private static final Token ADMIN_TOKEN = new Token("admin-token-for-the-page-test");

    @TempDir
    Path dir;

    private static TestTunnel tunnel(Target echo, Token adminToken) throws Exception {
        OuterConfig c = new OuterConfig(
                        ANY,
                        TestTunnel.TOKEN,
                        List.of(TestTunnel.route("web", echo), TestTunnel.route("db", echo)),
                        TestTunnel.FAST)
                .withAdmin(new AdminConfig(ANY, adminToken));
        TestTunnel t = new TestTunnel(c, null);
        t.startInner(t.innerConfig().withAdmin(AdminConfig.local(ANY)));
        return t;
    }

    /** Opens the status page on {@code port} and waits for the route cards to show. */
    private static void openAndAwaitRoutes(Chromium browser, int port) {
        browser.open("http://127.0.0.1:" + port + "/");
        browser.await(
                "the route cards", routeField("db", "active"), v -> v.asText().equals("0"));
    }

    /** The number a route's card shows for {@code field}, or null while the card is not there. */
    private static String routeField(String route, String field) {
        return "document.querySelector('[data-route=\"" + route + "\"] [data-field=\"" + field
                + "\"]')?.textContent ?? null";
    }

    @Test
    void theOuterPageShowsRoutesAndInnerAndFollowsASessionLive() throws Exception {
        try (Target echo = Target.echo();
                TestTunnel t = tunnel(echo, null);
                Chromium browser = Chromium.start(dir, 1280, 800)) {
            openAndAwaitRoutes(browser, t.outer.adminPort());
            String text = browser.text();
            for (String shown : new String[] {"relay outer", "web", "db", "test-inner", "connected", "Routes"}) {
                assertTrue(text.contains(shown), "the page shows " + shown + ":\n" + text);
            }
            assertEquals("relay outer", browser.eval("document.title").asText());
            // The inner's card shows its idle pooled connections and its streams (none: this tunnel is plain).
            assertEquals(
                    "0",
                    browser.eval("document.querySelector('[data-peer=\"test-inner\"] [data-field=\"streams\"]')"
                                    + "?.textContent ?? null")
                            .asText());

            try (Socket user = t.connect("web")) {
                byte[] payload = "x".repeat(100_000).getBytes(StandardCharsets.US_ASCII);
                roundTrip(user, payload);
                browser.await(
                        "the page to count the open session",
                        routeField("web", "active"),
                        v -> v.asText().equals("1"));
                assertEquals("0", browser.eval(routeField("db", "active")).asText(), "the other route");
                browser.await(
                        "the page to draw the route's throughput",
                        "document.querySelectorAll('[data-route=\"web\"] svg polyline').length",
                        v -> v.asInt() == 2);
                // Kept for a person to look at: target/status-page.png.
                Files.write(Path.of("target", "status-page.png"), browser.screenshot());
            }
            browser.await(
                    "the page to see the session end",
                    routeField("web", "active"),
                    v -> v.asText().equals("0"));
            assertEquals("1", browser.eval(routeField("web", "total")).asText());
            assertFalse(browser.eval("getComputedStyle(document.getElementById('banner')).display")
                    .asText()
                    .equals("block"));
        }
    }

    @Test
    void aTokenIsAskedForAndTakenFromTheFormOrTheLink() throws Exception {
        try (Target echo = Target.echo();
                TestTunnel t = tunnel(echo, ADMIN_TOKEN);
                Chromium browser = Chromium.start(dir, 1280, 800)) {
            String page = "http://127.0.0.1:" + t.outer.adminPort() + "/";
            browser.open(page);
            String form = "getComputedStyle(document.getElementById('login')).display";
            browser.await("the page to ask for the token", form, v -> v.asText().equals("block"));
            assertFalse(browser.text().contains("db"), "nothing is shown without the token");

            browser.eval("document.getElementById('token').value = 'wrong'; "
                    + "document.getElementById('login').requestSubmit(); true");
            browser.await(
                    "the page to say the token was refused",
                    "document.getElementById('banner').textContent",
                    v -> v.asText().contains("refused"));

            browser.eval("document.getElementById('token').value = '" + ADMIN_TOKEN.value() + "'; "
                    + "document.getElementById('login').requestSubmit(); true");
            browser.await(
                    "the routes behind the token",
                    routeField("db", "active"),
                    v -> v.asText().equals("0"));
            assertEquals("none", browser.eval(form).asText());

            // A fresh start, with the token in the link: taken, and dropped from the address bar. (The query string
            // makes it a new page load rather than a jump within the same page.)
            browser.eval("sessionStorage.clear(); true");
            page += "?from-a-link";
            browser.open(page + "#token=" + ADMIN_TOKEN.value());
            browser.await(
                    "the routes, with the token from the link",
                    routeField("web", "active"),
                    v -> v.asText().equals("0"));
            assertEquals(page, browser.eval("location.href").asText(), "the token is not left in the address");
        }
    }

    @Test
    void onAPhoneNothingIsWiderThanTheScreen() throws Exception {
        try (Target echo = Target.echo();
                TestTunnel t = tunnel(echo, null);
                Chromium browser = Chromium.start(dir, 390, 844)) {
            browser.emulatePhone(390, 844);
            openAndAwaitRoutes(browser, t.outer.adminPort());
            JsonNode widths = browser.eval("({page: document.documentElement.scrollWidth, screen: window.innerWidth, "
                    + "widest: Math.max(...[...document.querySelectorAll('.card')]"
                    + ".map(c => c.getBoundingClientRect().right)), "
                    + "font: parseFloat(getComputedStyle(document.querySelector('.card h3')).fontSize)})");
            int screen = widths.get("screen").asInt();
            assertEquals(390, screen, "the phone's width in CSS pixels: " + widths);
            assertTrue(widths.get("page").asInt() <= screen, "no sideways scrolling: " + widths);
            assertTrue(widths.get("widest").asDouble() <= screen, "every card fits: " + widths);
            assertTrue(widths.get("font").asDouble() >= 14, "names are readable: " + widths);
            // Kept for a person to look at: target/status-page-phone.png.
            Files.write(Path.of("target", "status-page-phone.png"), browser.screenshot());
        }
    }

    @Test
    void theInnerPageShowsItsOuterAndRoutes() throws Exception {
        try (Target echo = Target.echo();
                TestTunnel t = tunnel(echo, null);
                Chromium browser = Chromium.start(dir, 1280, 800)) {
            openAndAwaitRoutes(browser, t.inner.adminPort());
            String text = browser.text();
            assertTrue(text.contains("relay inner"), text);
            assertTrue(text.contains("Outers"), text);
            assertTrue(text.contains("127.0.0.1:" + t.outer.controlPort()), "the outer it dials:\n" + text);
            assertTrue(text.contains("connected"), text);
        }
    }

    private static void roundTrip(Socket s, byte[] payload) throws Exception {
        OutputStream out = s.getOutputStream();
        InputStream in = s.getInputStream();
        out.write(payload);
        out.flush();
        byte[] back = in.readNBytes(payload.length);
        assertEquals(payload.length, back.length, "the echo");
    }
}
