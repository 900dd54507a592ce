package dev.relay.admin;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.relay.config.AdminConfig;
import dev.relay.config.Token;
import dev.relay.net.Threads;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin endpoint of an outer or an inner, on the JDK's HTTP server with one virtual thread per request:
 * {@code GET /} (the status page), {@code /status}, {@code /metrics}, {@code /healthz}, {@code /readyz}, and
 * {@code POST /reload}. It reads what the data path counts and never takes a lock it holds, so a scrape cannot slow a
 * session. Against hostile clients the JDK server is bounded before the first one is created (see {@link #harden}).
 */
public final class AdminServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(AdminServer.class);

    /** What the endpoint shows and does; each side implements it. */
    public interface Endpoints {
        /** The {@code /status} document, as records Jackson writes. */
        Object status();

        /** Appends this side's metrics; the process metrics are added by the server. */
        void metrics(MetricsText m);

        /** Whether traffic should come here ({@code /readyz}). */
        Readiness readiness();

        /** Re-reads and applies the configuration ({@code POST /reload}). */
        Reload reload();
    }

    /** {@code /readyz}: ready, or why not. */
    public record Readiness(boolean ready, String reason) {}

    /** What a reload did: applied, or refused with the same message as at startup. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Reload(boolean ok, String error, List<String> applied, List<String> needsRestart) {
        public static Reload failed(String error) {
            return new Reload(false, error, null, null);
        }
    }

    /** Requests served at once, at most; the JDK server stops accepting beyond it. */
    static final int MAX_CONNECTIONS = 128;
    /** Seconds a request (its headers) and a response may take: a slow client holds a connection no longer. */
    static final int MAX_EXCHANGE_SECONDS = 10;
    /** Bytes of request headers accepted, at most; the admin API needs a few hundred. */
    static final int MAX_HEADER_BYTES = 16 * 1024;

    private static final String STATUS_PAGE = "status.html";
    private static final ObjectMapper JSON = JsonMapper.builder().build();

    private final HttpServer server;
    private final ExecutorService executor;
    /** Replaced by a reload that changed only the token; null means no token is asked for (loopback only). */
    private volatile byte[] token;

    private final Endpoints endpoints;
    private final byte[] page;

    private AdminServer(HttpServer server, ExecutorService executor, AdminConfig config, Endpoints endpoints) {
        this.server = server;
        this.executor = executor;
        this.token = config.token() == null ? null : config.token().value().getBytes(StandardCharsets.UTF_8);
        this.endpoints = endpoints;
        this.page = resource(STATUS_PAGE);
    }

    /** Binds {@code config.listen()} and serves; {@code what} names the side in log lines. */
    public static AdminServer start(AdminConfig config, String what, Endpoints endpoints) throws IOException {
        harden();
        InetSocketAddress at = config.listen().resolve();
        if (at.isUnresolved()) {
            throw new IOException("admin: cannot listen on " + config.listen() + ": unknown host");
        }
        HttpServer server;
        try {
            server = HttpServer.create(at, MAX_CONNECTIONS);
        } catch (IOException e) {
            throw new IOException("admin: cannot listen on " + config.listen() + ": " + e.getMessage(), e);
        }
        ExecutorService executor = Executors.newThreadPerTaskExecutor(Threads.virtualFactory("admin"));
        AdminServer admin = new AdminServer(server, executor, config, endpoints);
        server.createContext("/", admin::handle);
        server.setExecutor(executor);
        server.start();
        LOG.info(
                "{} admin endpoint on http://{}/ ({})",
                what,
                config.listen().withPort(admin.port()),
                config.token() == null ? "no token: this host only" : "bearer token required");
        return admin;
    }

    /** Asks for {@code next} from the next request on (a reload changed it); null for none, on loopback only. */
    public void token(Token next) {
        token = next == null ? null : next.value().getBytes(StandardCharsets.UTF_8);
    }

    /** The port actually bound. */
    public int port() {
        return server.getAddress().getPort();
    }

    /**
     * Bounds the JDK's HTTP server, which by default lets a request take for ever and accepts any number of
     * connections. These are JVM-wide settings read once, when the first server starts; a value the operator set
     * (with -D) is kept.
     */
    static void harden() {
        setDefault("sun.net.httpserver.maxReqTime", MAX_EXCHANGE_SECONDS);
        setDefault("sun.net.httpserver.maxRspTime", MAX_EXCHANGE_SECONDS);
        setDefault("jdk.httpserver.maxConnections", MAX_CONNECTIONS);
        setDefault("sun.net.httpserver.maxReqHeaderSize", MAX_HEADER_BYTES);
        setDefault("sun.net.httpserver.maxReqHeaders", 64);
        setDefault("sun.net.httpserver.idleInterval", MAX_EXCHANGE_SECONDS);
    }

    private static void setDefault(String property, int value) {
        if (System.getProperty(property) == null) {
            System.setProperty(property, Integer.toString(value));
        }
    }

    private void handle(HttpExchange x) throws IOException {
        try (x) {
            String path = x.getRequestURI().getPath();
            String method = x.getRequestMethod();
            boolean open = path.equals("/") || path.equals("/healthz") || path.equals("/readyz");
            if (!open && !authorized(x)) {
                x.getResponseHeaders().set("WWW-Authenticate", "Bearer");
                send(x, 401, "text/plain; charset=utf-8", "a bearer token is required\n");
                return;
            }
            switch (path) {
                case "/" -> get(x, method, () -> new Body("text/html; charset=utf-8", page));
                case "/status" -> get(x, method, () -> json(endpoints.status()));
                case "/metrics" -> get(x, method, this::metrics);
                case "/healthz" -> get(x, method, () -> new Body("text/plain; charset=utf-8", bytes("ok\n")));
                case "/readyz" -> readyz(x, method);
                case "/reload" -> reload(x, method);
                default -> send(x, 404, "text/plain; charset=utf-8", "no such page; try /status or /metrics\n");
            }
        } catch (IOException e) {
            LOG.debug("admin request failed: {}", e.toString());
        } catch (RuntimeException e) {
            LOG.error("bug: admin request {} failed", x.getRequestURI(), e);
        }
    }

    private record Body(String type, byte[] bytes) {}

    private interface Render {
        Body body();
    }

    private void get(HttpExchange x, String method, Render render) throws IOException {
        if (!method.equals("GET") && !method.equals("HEAD")) {
            x.getResponseHeaders().set("Allow", "GET, HEAD");
            send(x, 405, "text/plain; charset=utf-8", "use GET\n");
            return;
        }
        Body b = render.body();
        send(x, 200, b.type(), b.bytes());
    }

    private Body metrics() {
        MetricsText m = new MetricsText();
        endpoints.metrics(m);
        ProcessMetrics.write(m);
        return new Body(MetricsText.CONTENT_TYPE, bytes(m.text()));
    }

    private void readyz(HttpExchange x, String method) throws IOException {
        if (!method.equals("GET") && !method.equals("HEAD")) {
            x.getResponseHeaders().set("Allow", "GET, HEAD");
            send(x, 405, "text/plain; charset=utf-8", "use GET\n");
            return;
        }
        Readiness r = endpoints.readiness();
        Body b = json(r.ready() ? Map.of("ready", true) : Map.of("ready", false, "reason", r.reason()));
        send(x, r.ready() ? 200 : 503, b.type(), b.bytes());
    }

    private void reload(HttpExchange x, String method) throws IOException {
        if (!method.equals("POST")) {
            x.getResponseHeaders().set("Allow", "POST");
            send(x, 405, "text/plain; charset=utf-8", "use POST\n");
            return;
        }
        Reload r = endpoints.reload();
        Body b = json(r);
        send(x, r.ok() ? 200 : 400, b.type(), b.bytes());
    }

    /** The bearer token, compared in constant time; no token configured means this host only, and open. */
    private boolean authorized(HttpExchange x) {
        byte[] expected = token;
        if (expected == null) {
            return true;
        }
        String header = x.getRequestHeaders().getFirst("Authorization");
        if (header == null || !header.startsWith("Bearer ")) {
            return false;
        }
        return MessageDigest.isEqual(
                expected, header.substring("Bearer ".length()).getBytes(StandardCharsets.UTF_8));
    }

    private static void send(HttpExchange x, int status, String type, String text) throws IOException {
        send(x, status, type, bytes(text));
    }

    private static void send(HttpExchange x, int status, String type, byte[] body) throws IOException {
        x.getResponseHeaders().set("Content-Type", type);
        x.getResponseHeaders().set("Cache-Control", "no-store");
        x.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
        // The page is one file: its own inline script and style, and fetches to this server only.
        x.getResponseHeaders()
                .set(
                        "Content-Security-Policy",
                        "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self';"
                                + " img-src 'self' data:");
        boolean head = x.getRequestMethod().equals("HEAD");
        x.sendResponseHeaders(status, head ? -1 : body.length == 0 ? -1 : body.length);
        if (!head && body.length > 0) {
            x.getResponseBody().write(body);
        }
    }

    private static Body json(Object value) {
        try {
            return new Body("application/json", JSON.writeValueAsBytes(value));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write " + value.getClass().getSimpleName() + " as JSON", e);
        }
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] resource(String name) {
        try (InputStream in = AdminServer.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException(name + " is missing from the jar: a packaging bug");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Stops accepting, ends requests in progress at once, and releases the port. */
    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
