package dev.relay.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * Debian's headless Chromium, driven over the DevTools protocol (a WebSocket, with the JDK's client): a test opens a
 * page and asks the live page questions while it refreshes, which a one-shot {@code --dump-dom} cannot do. The
 * browser gets a throwaway profile and no network beyond loopback: every background service that would call out is
 * switched off.
 */
final class Chromium implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final OutsideProgram process;
    private final Path profile;
    private final HttpClient http = HttpClient.newHttpClient();
    private final WebSocket socket;
    private final AtomicInteger ids = new AtomicInteger();
    private final Map<Integer, CompletableFuture<JsonNode>> calls = new ConcurrentHashMap<>();

    private Chromium(OutsideProgram process, Path profile, URI page) {
        this.process = process;
        this.profile = profile;
        this.socket = http.newWebSocketBuilder()
                .buildAsync(page, new Replies())
                .orTimeout(20, TimeUnit.SECONDS)
                .join();
    }

    /** Starts a browser with a {@code width}×{@code height} window and its profile in {@code dir}. */
    static Chromium start(Path dir, int width, int height) throws IOException {
        Path profile = dir.resolve("chromium-profile");
        Files.createDirectories(profile);
        OutsideProgram p = OutsideProgram.start(
                dir.resolve("chromium.log"),
                "chromium",
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--no-default-browser-check",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-extensions",
                "--disable-features=Translate,MediaRouter,OptimizationHints",
                "--user-data-dir=" + profile,
                "--window-size=" + width + "," + height,
                "--remote-debugging-address=127.0.0.1",
                "--remote-debugging-port=0",
                "--remote-allow-origins=*",
                "about:blank");
        try {
            // Chromium writes the port it chose, then the browser's path, to this file once it listens.
            Path active = profile.resolve("DevToolsActivePort");
            Await.until("Chromium to listen for DevTools (log: " + p.log() + ")", Duration.ofSeconds(30), () -> {
                if (!p.isAlive()) {
                    throw new AssertionError("chromium exited: " + p.log());
                }
                try {
                    return Files.exists(active)
                            && Files.readString(active).lines().count() >= 2;
                } catch (IOException e) {
                    return false;
                }
            });
            int port = Integer.parseInt(
                    Files.readString(active).lines().findFirst().orElseThrow());
            return new Chromium(p, profile, pageSocket(port));
        } catch (RuntimeException | IOException e) {
            try {
                p.close();
            } catch (InterruptedException stopped) {
                Thread.currentThread().interrupt();
            }
            throw e;
        }
    }

    /** The DevTools address of the browser's one tab. */
    private static URI pageSocket(int port) throws IOException {
        HttpClient c = HttpClient.newHttpClient();
        try {
            HttpResponse<String> r = c.send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/json/list"))
                            .timeout(Duration.ofSeconds(10))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            for (JsonNode target : JSON.readTree(r.body())) {
                if (target.path("type").asText().equals("page")) {
                    return URI.create(target.get("webSocketDebuggerUrl").asText());
                }
            }
            throw new AssertionError("Chromium has no page to drive: " + r.body());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
    }

    /** Calls a DevTools method and returns its result; a protocol error fails the test. */
    JsonNode call(String method, Map<String, ?> params) {
        int id = ids.incrementAndGet();
        CompletableFuture<JsonNode> reply = new CompletableFuture<>();
        calls.put(id, reply);
        ObjectNode message = JSON.createObjectNode().put("id", id).put("method", method);
        message.set("params", JSON.valueToTree(params));
        socket.sendText(message.toString(), true).join();
        JsonNode r = reply.orTimeout(30, TimeUnit.SECONDS).join();
        if (r.has("error")) {
            throw new AssertionError(method + " failed: " + r.get("error"));
        }
        return r.path("result");
    }

    /** Opens {@code url} in the tab. */
    void open(String url) {
        JsonNode r = call("Page.navigate", Map.of("url", url));
        if (r.has("errorText")) {
            throw new AssertionError(
                    "cannot open " + url + ": " + r.get("errorText").asText());
        }
    }

    /** Lays the page out as a phone would: {@code width} CSS pixels wide, a touch screen, two pixels per pixel. */
    void emulatePhone(int width, int height) {
        call(
                "Emulation.setDeviceMetricsOverride",
                Map.of("width", width, "height", height, "deviceScaleFactor", 2, "mobile", true));
    }

    /** The value of a JavaScript expression in the page, as JSON (null when it is undefined). */
    JsonNode eval(String expression) {
        JsonNode r = call("Runtime.evaluate", Map.of("expression", expression, "returnByValue", true));
        if (r.has("exceptionDetails")) {
            throw new AssertionError("the page threw on " + expression + ": " + r.get("exceptionDetails"));
        }
        return r.path("result").path("value");
    }

    /** Waits until {@code expression}'s value passes {@code test} (throwing counts as not yet), and returns it. */
    JsonNode await(String what, String expression, Predicate<JsonNode> test) {
        Object[] last = {null};
        try {
            Await.until(what, Duration.ofSeconds(20), () -> {
                try {
                    JsonNode v = eval(expression);
                    last[0] = v;
                    return test.test(v);
                } catch (AssertionError threw) {
                    last[0] = threw.getMessage();
                    return false;
                }
            });
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "; last value: " + last[0] + "; page text: " + text(), e);
        }
        return (JsonNode) last[0];
    }

    /** What a person reads on the page. */
    String text() {
        return eval("document.body.innerText").asText();
    }

    /** A PNG of what the tab shows. */
    byte[] screenshot() {
        return Base64.getDecoder()
                .decode(call("Page.captureScreenshot", Map.of("format", "png"))
                        .get("data")
                        .asText());
    }

    @Override
    public void close() throws InterruptedException {
        socket.abort();
        http.close();
        process.close();
        // Links into /tmp that the browser leaves behind; JUnit warns about them when it empties the test's dir.
        for (String link : new String[] {"SingletonSocket", "SingletonLock", "SingletonCookie"}) {
            try {
                Files.deleteIfExists(profile.resolve(link));
            } catch (IOException e) {
                // Only tidiness.
            }
        }
    }

    /** Hands each reply to the call waiting for its id; events (messages without an id) are not needed. */
    private final class Replies implements WebSocket.Listener {
        private final StringBuilder partial = new StringBuilder();

        @Override
        public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                try {
                    JsonNode message = JSON.readTree(partial.toString());
                    CompletableFuture<JsonNode> call =
                            message.has("id") ? calls.remove(message.get("id").asInt()) : null;
                    if (call != null) {
                        call.complete(message);
                    }
                } catch (IOException e) {
                    calls.values().forEach(c -> c.completeExceptionally(e));
                } finally {
                    partial.setLength(0);
                }
            }
            ws.request(1);
            return null;
        }
    }
}
