package dev.relay.admin;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.Instant;
import java.util.List;

/**
 * The {@code /status} document, the same shape on both sides: an outer lists its inners, an inner its outers; routes
 * have a {@code listen} on the outer only. Times are ISO-8601 instants; what does not apply is left out.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Status(
        String side,
        String version,
        String startedAt,
        double uptimeSeconds,
        ConfigInfo config,
        int sessionsActive,
        List<InnerInfo> inners,
        List<OuterInfo> outers,
        List<RouteInfo> routes) {

    /** The configuration in force: its file (none when embedded), when it was loaded, how many loads so far. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record ConfigInfo(String file, String loadedAt, long generation) {}

    /** An inner connected to this outer; {@code streams} are its TLS sessions the pool does not carry. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record InnerInfo(String name, String address, String connectedSince, int poolIdle, int streams) {}

    /** An outer this inner dials. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record OuterInfo(
            String address, boolean connected, String connectedSince, int poolIdle, ErrorInfo lastError) {}

    /** A route and its counters since start. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record RouteInfo(
            String name,
            String listen,
            String target,
            int sessionsActive,
            long sessionsTotal,
            long bytesUp,
            long bytesDown,
            ErrorInfo lastError) {

        /** A route's figures from its stats; {@code listen} is null on the inner. */
        public static RouteInfo of(String name, String listen, String target, RouteStats s) {
            RouteStats.LastError e = s.lastError();
            return new RouteInfo(
                    name,
                    listen,
                    target,
                    s.active(),
                    s.total(),
                    s.traffic().up().sum(),
                    s.traffic().down().sum(),
                    e == null ? null : new ErrorInfo(e.message(), e.at().toString()));
        }
    }

    /** The last error, and when. */
    public record ErrorInfo(String message, String at) {}

    /** An instant as the document writes it, or null. */
    public static String time(Instant at) {
        return at == null ? null : at.toString();
    }
}
