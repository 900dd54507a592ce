package dev.relay.config;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.relay.net.AddressRule;
import dev.relay.protocol.Names;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * {@code routes.json}: one file for both sides. The outer reads {@code outer}, {@code token} and {@code routes}; the
 * inner reads {@code inner} and {@code token}; both read {@code tuning}. Unknown fields are errors, so a typo never
 * silently falls back to a default.
 */
public final class ConfigFile {
    /** The file both programs read when no {@code --config} is given. */
    public static final String DEFAULT_PATH = "routes.json";
    /** Environment variable that overrides {@code token}, so the secret can stay out of the file. */
    public static final String TOKEN_ENV = "RELAY_TOKEN";

    /**
     * Strict: a repeated key, a string where a number belongs, or 1.9 sessions is an error, never a guess. One per
     * read, not kept: the file is read at start and on reload, and a kept mapper would hold the deserializers it built
     * for the process's life: about 90 KB of an idle heap of 4 MB, where on the bench's machine every 4 MB more is
     * another G1 region.
     */
    private static ObjectMapper strictJson() {
        return JsonMapper.builder()
                .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
                .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
                .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
                .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                .build();
    }

    // The file as written, before meaning is given to it.
    record RawFile(RawOuter outer, RawInner inner, String token, List<RawRoute> routes, RawTuning tuning) {}

    record RawOuter(
            JsonNode listen,
            RawServerTls tls,
            RawAdmin admin,
            List<String> trustedProxies,
            Map<String, RawInnerCredentials> inners) {}

    record RawInnerCredentials(String token) {}

    record RawAdmin(String listen, String token) {}

    record RawServerTls(String cert, String key, String keystore, String password) {}

    record RawInner(
            JsonNode connect, String name, Integer pool, RawClientTls tls, List<String> allowTargets, RawAdmin admin) {}

    record RawClientTls(String ca, String fingerprint) {}

    record RawRoute(
            String name,
            JsonNode listen,
            String target,
            Double idleTimeout,
            Integer maxSessions,
            Integer maxSessionsPerSource,
            List<String> allow,
            String proxyProtocol,
            Boolean acceptProxyProtocol,
            String protocol,
            JsonNode inners,
            String balance,
            Double healthCheckSeconds) {}

    record RawTuning(
            Double heartbeatSeconds,
            Double deadPeerSeconds,
            Double openTimeoutSeconds,
            Double handshakeTimeoutSeconds,
            Integer maxSessions,
            Double reconnectMinSeconds,
            Double reconnectMaxSeconds,
            Double poolMaxIdleSeconds,
            Integer healthFailures,
            Double healthSkipSeconds) {}

    /** The longest time any field may give, a year: longer is a typo, and would overflow some timers. */
    private static final double MAX_SECONDS = 365 * 24 * 3600.0;
    /** The resolution of every time field, a millisecond. */
    private static final double MIN_SECONDS = 0.001;

    private static final Pattern QUOTED_TOKEN = Pattern.compile("(Unrecognized token )'[^']*'");

    private final String source;
    private final Path baseDir;
    private final RawFile raw;
    /** Null when the file has none; the inner always needs one, the outer only without {@code outer.inners}. */
    private final Token token;

    private final List<Route> routes;
    private final Tuning tuning;

    private ConfigFile(String source, Path baseDir, RawFile raw, Token token, List<Route> routes, Tuning tuning) {
        this.source = source;
        this.baseDir = baseDir;
        this.raw = raw;
        this.token = token;
        this.routes = routes;
        this.tuning = tuning;
    }

    /** Reads and checks a file; {@code env} supplies {@link #TOKEN_ENV}. */
    public static ConfigFile load(Path path, Map<String, String> env) throws ConfigException {
        String text;
        try {
            text = Files.readString(path);
        } catch (NoSuchFileException e) {
            throw new ConfigException(path + ": no such file (use --config FILE to name another)");
        } catch (IOException e) {
            throw new ConfigException(path + ": cannot read: " + e.getMessage());
        }
        Path dir = path.toAbsolutePath().getParent();
        return parse(path.toString(), dir, text, env);
    }

    /** Parses and checks the text of a config file; {@code source} names it in messages. */
    public static ConfigFile parse(String source, String text, Map<String, String> env) throws ConfigException {
        return parse(source, Path.of("").toAbsolutePath(), text, env);
    }

    /** The same, with file names in the config (certificates, keys) relative to {@code baseDir}. */
    public static ConfigFile parse(String source, Path baseDir, String text, Map<String, String> env)
            throws ConfigException {
        if (text.isBlank()) {
            throw new ConfigException(source + ": the file is empty; expected a JSON object");
        }
        RawFile raw;
        try {
            raw = strictJson().readValue(text, RawFile.class);
        } catch (JsonProcessingException e) {
            throw new ConfigException(source + ": " + describe(e));
        }
        if (raw == null) {
            throw new ConfigException(source + ": the file is empty; expected a JSON object");
        }
        Token token = token(
                source,
                raw.token(),
                env.get(TOKEN_ENV),
                raw.outer() != null && raw.outer().inners() != null);
        Tuning tuning = tuning(source, raw.tuning());
        List<Route> routes = new ArrayList<>();
        List<RawRoute> rawRoutes = raw.routes() == null ? List.of() : raw.routes();
        for (int i = 0; i < rawRoutes.size(); i++) {
            routes.add(route(source, "routes[" + i + "]", rawRoutes.get(i), tuning));
        }
        return new ConfigFile(source, baseDir, raw, token, List.copyOf(routes), tuning);
    }

    /** The outer's part; fails when {@code outer} is missing or the routes do not fit together. */
    public OuterConfig outer() throws ConfigException {
        if (raw.outer() == null
                || raw.outer().listen() == null
                || raw.outer().listen().isNull()) {
            throw new ConfigException(source + ": outer.listen: missing; the outer needs the control port to listen"
                    + " on, e.g. \"outer\": { \"listen\": \"0.0.0.0:7000\" }");
        }
        HostPort listen = listen(source, "outer.listen", raw.outer().listen());
        RawServerTls t = raw.outer().tls();
        ServerTls tls = t == null
                ? null
                : check(source, () -> new ServerTls(file(t.cert()), file(t.key()), file(t.keystore()), t.password()));
        AdminConfig admin = admin(source, "outer.admin", raw.outer().admin());
        List<String> proxies =
                raw.outer().trustedProxies() == null ? List.of() : raw.outer().trustedProxies();
        List<AddressRule> trusted =
                check(source, () -> prefixed("outer.trustedProxies", () -> AddressRule.parseAll(proxies)));
        Map<String, Token> inners = new LinkedHashMap<>();
        if (raw.outer().inners() != null) {
            for (Map.Entry<String, RawInnerCredentials> e : raw.outer().inners().entrySet()) {
                String field = "outer.inners." + e.getKey();
                check(source, () -> prefixed("outer.inners", () -> Names.check("inner name", e.getKey())));
                if (e.getValue() == null || e.getValue().token() == null) {
                    throw new ConfigException(source + ": " + field + ".token: missing; each listed inner needs its own"
                            + " secret of at least " + Token.MIN_LENGTH + " characters");
                }
                Token own = check(
                        source,
                        () -> prefixed(
                                field + ".token", () -> new Token(e.getValue().token())));
                inners.put(e.getKey(), own);
            }
        }
        return check(source, () -> new OuterConfig(listen, token, routes, tuning, tls, admin, trusted, inners));
    }

    /** The inner's part; fails when {@code inner} is missing. {@code connect} overrides {@code inner.connect}. */
    public InnerConfig inner(String connectOverride) throws ConfigException {
        return innerOverriding(connectOverride == null ? null : List.of(connectOverride));
    }

    /**
     * The same, with the outers from the command line ({@code --connect}, repeated) instead of {@code inner.connect};
     * null or empty keeps the file's.
     */
    public InnerConfig innerOverriding(List<String> connectOverride) throws ConfigException {
        List<HostPort> address;
        if (connectOverride != null && !connectOverride.isEmpty()) {
            address = new ArrayList<>();
            for (String c : connectOverride) {
                address.add(check(source, () -> prefixed("--connect", () -> HostPort.parse(c))));
            }
        } else {
            JsonNode node = raw.inner() == null ? null : raw.inner().connect();
            if (node == null || node.isNull()) {
                throw new ConfigException(source + ": inner.connect: missing; the inner needs the outer's address,"
                        + " e.g. \"inner\": { \"connect\": \"relay.example.com:7000\" }, a list of them, or"
                        + " --connect HOST:PORT");
            }
            address = check(source, () -> prefixed("inner.connect", () -> outers(node)));
        }
        if (token == null) {
            throw new ConfigException(source + ": token: missing; the inner needs its secret (its own, where the outer"
                    + " lists it in outer.inners) in the file or in " + TOKEN_ENV);
        }
        String name =
                raw.inner() != null && raw.inner().name() != null ? raw.inner().name() : InnerConfig.DEFAULT_NAME;
        int pool =
                raw.inner() != null && raw.inner().pool() != null ? raw.inner().pool() : InnerConfig.DEFAULT_POOL;
        RawClientTls t = raw.inner() == null ? null : raw.inner().tls();
        ClientTls tls = t == null ? null : check(source, () -> new ClientTls(file(t.ca()), t.fingerprint()));
        List<String> targets = raw.inner() == null || raw.inner().allowTargets() == null
                ? List.of()
                : raw.inner().allowTargets();
        List<AddressRule> allowTargets =
                check(source, () -> prefixed("inner.allowTargets", () -> AddressRule.parseAll(targets)));
        AdminConfig admin = admin(
                source, "inner.admin", raw.inner() == null ? null : raw.inner().admin());
        return check(source, () -> new InnerConfig(address, token, name, pool, tuning, tls, allowTargets, admin));
    }

    /** {@code "host:port"}, or a list of them: every outer the inner keeps a control channel to. */
    private static List<HostPort> outers(JsonNode node) {
        if (node.isTextual()) {
            return List.of(HostPort.parse(node.textValue()));
        }
        if (!node.isArray()) {
            throw new IllegalArgumentException("expected \"host:port\" or a list of them, got "
                    + node.getNodeType().name().toLowerCase());
        }
        List<HostPort> outers = new ArrayList<>();
        for (int i = 0; i < node.size(); i++) {
            JsonNode e = node.get(i);
            if (!e.isTextual()) {
                throw new IllegalArgumentException("[" + i + "]: expected \"host:port\", got "
                        + e.getNodeType().name().toLowerCase());
            }
            int at = i;
            outers.add(prefixed("[" + at + "]", () -> HostPort.parse(e.textValue())));
        }
        return outers;
    }

    /**
     * Warnings about secrets that other users of this machine can read: the token in this file, the outer's key or
     * keystore. Nothing is refused; the programs log each line at start.
     */
    public List<String> secretWarnings(Path configFile, Map<String, String> env) {
        List<String> warnings = new ArrayList<>();
        RawServerTls tls = raw.outer() == null ? null : raw.outer().tls();
        boolean tokenInFile = raw.token() != null
                && (env.get(TOKEN_ENV) == null || env.get(TOKEN_ENV).isEmpty());
        if (tokenInFile || (tls != null && tls.password() != null)) {
            readableByOthers(configFile, tokenInFile ? "holds the token" : "holds the keystore password")
                    .ifPresent(warnings::add);
        }
        if (tls != null) {
            for (String f : new String[] {tls.key(), tls.keystore()}) {
                if (f != null) {
                    readableByOthers(file(f), "holds the outer's private key").ifPresent(warnings::add);
                }
            }
        }
        return warnings;
    }

    private static Optional<String> readableByOthers(Path file, String what) {
        try {
            var perms = Files.getPosixFilePermissions(file);
            if (perms.contains(PosixFilePermission.GROUP_READ) || perms.contains(PosixFilePermission.OTHERS_READ)) {
                return Optional.of(file + " " + what + " and is readable by other users ("
                        + PosixFilePermissions.toString(perms) + "); run: chmod 600 " + file);
            }
        } catch (IOException | UnsupportedOperationException e) {
            // Missing files are reported where they are used; non-POSIX file systems have nothing to check.
        }
        return Optional.empty();
    }

    /** A file named in the config, relative to the config file's folder. */
    private Path file(String name) {
        return name == null ? null : baseDir.resolve(name).normalize();
    }

    private static Token token(String source, String inFile, String fromEnv, boolean optional) throws ConfigException {
        if (fromEnv != null && !fromEnv.isEmpty()) {
            return check(source, () -> prefixed(TOKEN_ENV + " (environment)", () -> new Token(fromEnv)));
        }
        if (inFile == null && optional) {
            return null;
        }
        if (inFile == null) {
            throw new ConfigException(source + ": token: missing; set a random secret of at least " + Token.MIN_LENGTH
                    + " characters in the file or in " + TOKEN_ENV);
        }
        return check(source, () -> prefixed("token", () -> new Token(inFile)));
    }

    private static AdminConfig admin(String source, String field, RawAdmin a) throws ConfigException {
        if (a == null) {
            return null;
        }
        if (a.listen() == null) {
            throw new ConfigException(source + ": " + field + ".listen: missing; e.g. \"127.0.0.1:9700\"");
        }
        HostPort listen = check(source, () -> prefixed(field + ".listen", () -> HostPort.parse(a.listen())));
        Token token =
                a.token() == null ? null : check(source, () -> prefixed(field + ".token", () -> new Token(a.token())));
        return check(source, () -> prefixed(field, () -> new AdminConfig(listen, token)));
    }

    private static Route.ProxyVersion proxyVersion(String text) {
        return switch (text) {
            case "v1" -> Route.ProxyVersion.V1;
            case "v2" -> Route.ProxyVersion.V2;
            default ->
                throw new IllegalArgumentException(
                        "\"" + text + "\" is not a PROXY protocol version: \"v1\" or \"v2\"");
        };
    }

    private static Route.Protocol protocol(String text) {
        return switch (text) {
            case "tcp" -> Route.Protocol.TCP;
            case "udp" -> Route.Protocol.UDP;
            default -> throw new IllegalArgumentException("\"" + text + "\" is not a protocol: \"tcp\" or \"udp\"");
        };
    }

    private static Tuning tuning(String source, RawTuning t) throws ConfigException {
        if (t == null) {
            return Tuning.DEFAULTS;
        }
        Tuning d = Tuning.DEFAULTS;
        return check(
                source,
                () -> prefixed(
                        "tuning",
                        () -> new Tuning(
                                seconds(t.heartbeatSeconds(), d.heartbeat()),
                                seconds(t.deadPeerSeconds(), d.deadPeer()),
                                seconds(t.openTimeoutSeconds(), d.openTimeout()),
                                seconds(t.handshakeTimeoutSeconds(), d.handshake()),
                                t.maxSessions() == null ? d.maxSessions() : t.maxSessions(),
                                seconds(t.reconnectMinSeconds(), d.reconnectMin()),
                                seconds(t.reconnectMaxSeconds(), d.reconnectMax()),
                                seconds(t.poolMaxIdleSeconds(), d.poolMaxIdle()),
                                t.healthFailures() == null ? d.healthFailures() : t.healthFailures(),
                                seconds(t.healthSkipSeconds(), d.healthSkip()))));
    }

    private static Route route(String source, String at, RawRoute r, Tuning tuning) throws ConfigException {
        if (r == null) {
            throw new ConfigException(source + ": " + at + ": expected a route object, got null");
        }
        if (r.name() == null) {
            throw new ConfigException(source + ": " + at + ".name: missing");
        }
        String where = at + " (\"" + r.name() + "\")";
        if (r.listen() == null || r.listen().isNull()) {
            throw new ConfigException(source + ": " + where + ".listen: missing; a port like 5122 or \"host:port\"");
        }
        if (r.target() == null) {
            throw new ConfigException(source + ": " + where + ".target: missing; the private \"host:port\" to reach");
        }
        HostPort listen = listen(source, where + ".listen", r.listen());
        HostPort target = check(source, () -> prefixed(where + ".target", () -> HostPort.parse(r.target())));
        Route.Protocol protocol = r.protocol() == null
                ? Route.Protocol.TCP
                : check(source, () -> prefixed(where + ".protocol", () -> protocol(r.protocol())));
        // A UDP flow ends only when idle, so it gets a default; a TCP session ends by itself.
        Duration idle = r.idleTimeout() == null
                ? (protocol == Route.Protocol.UDP ? Route.DEFAULT_UDP_IDLE_TIMEOUT : Duration.ZERO)
                : check(source, () -> prefixed(where + ".idleTimeout", () -> seconds(r.idleTimeout(), Duration.ZERO)));
        int max = r.maxSessions() == null ? tuning.maxSessions() : r.maxSessions();
        int perSource = r.maxSessionsPerSource() == null ? max : r.maxSessionsPerSource();
        Route.ProxyVersion proxy = r.proxyProtocol() == null
                ? null
                : check(source, () -> prefixed(where + ".proxyProtocol", () -> proxyVersion(r.proxyProtocol())));
        boolean acceptProxy = Boolean.TRUE.equals(r.acceptProxyProtocol());
        List<AddressRule> allow = check(
                source,
                () -> prefixed(
                        where + ".allow", () -> AddressRule.parseAll(r.allow() == null ? List.of() : r.allow())));
        List<Route.InnerWeight> inners = inners(source, where + ".inners", r.inners());
        Duration health = check(
                source,
                () -> prefixed(where + ".healthCheckSeconds", () -> seconds(r.healthCheckSeconds(), Duration.ZERO)));
        Route.Balance balance = r.balance() == null
                ? Route.Balance.FEWEST
                : check(source, () -> prefixed(where + ".balance", () -> balance(r.balance())));
        return check(
                source,
                () -> prefixed(
                        where,
                        () -> new Route(
                                r.name(),
                                listen,
                                target,
                                idle,
                                max,
                                perSource,
                                allow,
                                proxy,
                                acceptProxy,
                                protocol,
                                inners,
                                balance,
                                health)));
    }

    private static Route.Balance balance(String text) {
        return switch (text) {
            case "fewest" -> Route.Balance.FEWEST;
            case "roundRobin" -> Route.Balance.ROUND_ROBIN;
            default ->
                throw new IllegalArgumentException(
                        "\"" + text + "\" is not a balance mode: \"fewest\" (the default) or \"roundRobin\"");
        };
    }

    /** {@code ["a", "b"]} or {@code [{"name": "a", "weight": 3}, ...]}, or both kinds mixed. */
    private static List<Route.InnerWeight> inners(String source, String field, JsonNode node) throws ConfigException {
        if (node == null || node.isNull()) {
            return List.of();
        }
        return check(
                source,
                () -> prefixed(field, () -> {
                    if (!node.isArray() || node.isEmpty()) {
                        throw new IllegalArgumentException("expected a non-empty list of inner names, like [\"site-a\","
                                + " \"site-b\"] or [{\"name\": \"site-a\", \"weight\": 3}], got " + node);
                    }
                    List<Route.InnerWeight> out = new ArrayList<>();
                    for (JsonNode e : node) {
                        if (e.isTextual()) {
                            out.add(new Route.InnerWeight(e.textValue(), Route.DEFAULT_WEIGHT));
                            continue;
                        }
                        if (!e.isObject()) {
                            throw new IllegalArgumentException(
                                    "expected an inner name or {\"name\", \"weight\"}, got " + e);
                        }
                        List<String> fields = new ArrayList<>();
                        e.fieldNames().forEachRemaining(fields::add);
                        for (String f : fields) {
                            if (!f.equals("name") && !f.equals("weight")) {
                                throw new IllegalArgumentException("unknown field \"" + f + "\" (known: name, weight)");
                            }
                        }
                        JsonNode n = e.get("name");
                        JsonNode w = e.get("weight");
                        if (n == null || !n.isTextual()) {
                            throw new IllegalArgumentException("name: missing or not a string in " + e);
                        }
                        if (w != null && !(w.isIntegralNumber() && w.canConvertToInt())) {
                            throw new IllegalArgumentException("weight: expected a whole number, got " + w);
                        }
                        out.add(new Route.InnerWeight(n.textValue(), w == null ? Route.DEFAULT_WEIGHT : w.intValue()));
                    }
                    return out;
                }));
    }

    private static HostPort listen(String source, String field, JsonNode node) throws ConfigException {
        return check(
                source,
                () -> prefixed(field, () -> {
                    if (node.isIntegralNumber()) {
                        if (!node.canConvertToInt() || node.intValue() < 0 || node.intValue() > 65535) {
                            throw new IllegalArgumentException("port " + node.asText() + " is out of range (0-65535)");
                        }
                        return HostPort.anyInterface(node.intValue());
                    }
                    if (node.isTextual()) {
                        return HostPort.parse(node.textValue());
                    }
                    throw new IllegalArgumentException("expected a port number or \"host:port\", got " + node);
                }));
    }

    private static Duration seconds(Double value, Duration fallback) {
        if (value == null) {
            return fallback;
        }
        if (value.isNaN() || value < 0 || value > MAX_SECONDS) {
            throw new IllegalArgumentException("seconds out of range: " + value);
        }
        if (value > 0 && value < MIN_SECONDS) {
            // Rounding it to zero would silently mean "never" where a timeout was asked for.
            throw new IllegalArgumentException(value + " seconds is below the 1 ms resolution; use 0 for never");
        }
        return Duration.ofNanos(Math.round(value * 1e9));
    }

    private interface Check<T> {
        T get() throws ConfigException;
    }

    /** Runs a record constructor or parser and turns its complaint into a message that names the file. */
    private static <T> T check(String source, Check<T> build) throws ConfigException {
        try {
            return build.get();
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new ConfigException(source + ": " + e.getMessage());
        }
    }

    private static <T> T prefixed(String field, Supplier<T> build) {
        try {
            return build.get();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(field + ": " + e.getMessage(), e);
        }
    }

    private static String describe(JsonProcessingException e) {
        StringBuilder m = new StringBuilder();
        JsonLocation at = e.getLocation();
        if (at != null && at.getLineNr() > 0) {
            m.append("line ")
                    .append(at.getLineNr())
                    .append(", column ")
                    .append(at.getColumnNr())
                    .append(": ");
        }
        if (e instanceof JsonMappingException mapping && !mapping.getPath().isEmpty()) {
            List<JsonMappingException.Reference> refs = mapping.getPath();
            // An unknown field's path ends with the field itself, which the message names anyway.
            if (e instanceof UnrecognizedPropertyException) {
                refs = refs.subList(0, refs.size() - 1);
            }
            if (!refs.isEmpty()) {
                m.append(path(refs)).append(": ");
            }
        }
        if (e instanceof UnrecognizedPropertyException u) {
            Collection<Object> known = u.getKnownPropertyIds();
            m.append("unknown field \"").append(u.getPropertyName()).append("\"");
            if (known != null) {
                m.append(" (known: ")
                        .append(known.stream().map(String::valueOf).sorted().collect(Collectors.joining(", ")))
                        .append(")");
            }
            return m.toString();
        }
        String original = e.getOriginalMessage();
        int nl = original.indexOf('\n');
        // The parser quotes the text it could not read; when that is an unquoted token value, it is the secret.
        m.append(QUOTED_TOKEN
                .matcher(nl < 0 ? original : original.substring(0, nl))
                .replaceAll("$1(not shown)"));
        return m.toString();
    }

    private static String path(List<JsonMappingException.Reference> refs) {
        StringBuilder p = new StringBuilder();
        for (JsonMappingException.Reference r : refs) {
            if (r.getFieldName() != null) {
                if (!p.isEmpty()) {
                    p.append('.');
                }
                p.append(r.getFieldName());
            } else if (r.getIndex() >= 0) {
                p.append('[').append(r.getIndex()).append(']');
            }
        }
        return p.toString();
    }
}
