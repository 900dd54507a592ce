package dev.relay.admin;

import java.util.HashSet;
import java.util.Set;

/**
 * Writes the Prometheus text exposition format, version 0.0.4, at scrape time: a family's HELP and TYPE lines once,
 * then its samples. Label values are escaped; names are the caller's constants.
 */
public final class MetricsText {
    /** What Prometheus expects exactly; version 3 refuses a scrape whose Content-Type it cannot parse. */
    public static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    private final StringBuilder out = new StringBuilder(4096);
    private final Set<String> declared = new HashSet<>();

    /** Declares a family ({@code counter}, {@code gauge}, {@code histogram}) before its first sample; once. */
    public MetricsText family(String name, String type, String help) {
        if (declared.add(name)) {
            out.append("# HELP ")
                    .append(name)
                    .append(' ')
                    .append(help.replace("\\", "\\\\").replace("\n", "\\n"));
            out.append("\n# TYPE ").append(name).append(' ').append(type).append('\n');
        }
        return this;
    }

    /** One sample; {@code labels} alternate names and values. */
    public MetricsText sample(String name, double value, String... labels) {
        out.append(name);
        labels(labels, null, null);
        out.append(' ').append(number(value)).append('\n');
        return this;
    }

    /** A histogram's buckets, sum and count, for a family declared as {@code histogram}. */
    public MetricsText histogram(String name, Histogram h, String... labels) {
        double[] bounds = h.bounds();
        long[] cumulative = h.cumulative();
        for (int i = 0; i < cumulative.length; i++) {
            out.append(name).append("_bucket");
            labels(labels, "le", i < bounds.length ? number(bounds[i]) : "+Inf");
            out.append(' ').append(cumulative[i]).append('\n');
        }
        sample(name + "_sum", h.sum(), labels);
        sample(name + "_count", cumulative[cumulative.length - 1], labels);
        return this;
    }

    public String text() {
        return out.toString();
    }

    private void labels(String[] labels, String extraName, String extraValue) {
        if (labels.length == 0 && extraName == null) {
            return;
        }
        out.append('{');
        for (int i = 0; i + 1 < labels.length; i += 2) {
            label(i > 0, labels[i], labels[i + 1]);
        }
        if (extraName != null) {
            label(labels.length > 0, extraName, extraValue);
        }
        out.append('}');
    }

    private void label(boolean comma, String name, String value) {
        if (comma) {
            out.append(',');
        }
        out.append(name).append("=\"");
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '\\' -> out.append("\\\\");
                case '"' -> out.append("\\\"");
                case '\n' -> out.append("\\n");
                default -> out.append(c);
            }
        }
        out.append('"');
    }

    static String number(double v) {
        if (Double.isNaN(v)) {
            return "NaN";
        }
        if (Double.isInfinite(v)) {
            return v > 0 ? "+Inf" : "-Inf";
        }
        if (v == Math.rint(v) && Math.abs(v) < 1e15) {
            return Long.toString((long) v);
        }
        return Double.toString(v);
    }
}
