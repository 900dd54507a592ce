package dev.relay.e2e;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Copies everything written to {@code System.err} (where slf4j-simple logs) while it is open, still passing it on to
 * the real stream, and puts the real stream back on {@link #close}. Use it in try-with-resources.
 */
final class LogCapture implements AutoCloseable {
    private final PrintStream original;
    private final ByteArrayOutputStream captured = new ByteArrayOutputStream();

    private LogCapture() {
        original = System.err;
        System.setErr(new PrintStream(new Tee(original, captured), true, StandardCharsets.UTF_8));
    }

    /** Starts capturing now. */
    static LogCapture start() {
        return new LogCapture();
    }

    /** Everything logged since {@link #start()}, also after {@link #close()}. */
    String text() {
        return captured.toString(StandardCharsets.UTF_8);
    }

    List<String> lines() {
        return text().lines().toList();
    }

    /** The lines containing {@code text}. */
    List<String> lines(String text) {
        return text().lines().filter(l -> l.contains(text)).toList();
    }

    /** How many lines contain {@code text}. */
    long count(String text) {
        return lines(text).size();
    }

    @Override
    public void close() {
        System.err.flush();
        System.setErr(original);
    }

    /** Writes to two streams. */
    private static final class Tee extends OutputStream {
        private final OutputStream a;
        private final OutputStream b;

        Tee(OutputStream a, OutputStream b) {
            this.a = a;
            this.b = b;
        }

        @Override
        public synchronized void write(int x) throws java.io.IOException {
            a.write(x);
            b.write(x);
        }

        @Override
        public synchronized void write(byte[] buf, int off, int len) throws java.io.IOException {
            a.write(buf, off, len);
            b.write(buf, off, len);
        }

        @Override
        public synchronized void flush() throws java.io.IOException {
            a.flush();
            b.flush();
        }
    }
}
