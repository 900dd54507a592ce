package benchmark;

import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The main table: one row per metric, in the order the sections add them, one cell per column. */
final class Table {
    /** One metric: a value or a note per column; NaN where there is neither. */
    static final class Row {
        /** The section that measures this row: a column that takes no part shows "not measured". */
        final String section;

        final String metric;
        final String format;
        final Map<Column, Double> values = new HashMap<>();
        final Map<Column, String> notes = new HashMap<>();

        Row(String section, String metric, String format) {
            this.section = section;
            this.metric = metric;
            this.format = format;
        }

        double get(Column c) {
            return values.getOrDefault(c, Double.NaN);
        }

        /** {@code c}'s value over {@code base}'s, NaN if either is missing. */
        double ratio(Column c, Column base) {
            return get(c) / get(base);
        }

        String cell(Column c) {
            if (notes.containsKey(c)) {
                return notes.get(c);
            }
            double x = get(c);
            if (!Double.isNaN(x)) {
                return String.format(Locale.ROOT, format, x);
            }
            return c.measures(section) ? "n/a" : "not measured";
        }
    }

    private final Map<String, Row> rows = new LinkedHashMap<>();

    /** The row of {@code metric}, added at the end the first time. */
    Row row(String section, String metric, String format) {
        return rows.computeIfAbsent(metric, m -> new Row(section, m, format));
    }

    /** The row of {@code metric}, or an empty one if its section did not run: every value NaN. */
    Row get(String metric) {
        return rows.getOrDefault(metric, new Row("", metric, ""));
    }

    Collection<Row> rows() {
        return rows.values();
    }

    List<Row> rows(String section) {
        return rows.values().stream().filter(r -> r.section.equals(section)).toList();
    }
}
