package dev.relay.session;

import java.util.concurrent.atomic.LongAdder;

/**
 * Where a session adds the bytes it moves, as it moves them: a route's running totals, read at scrape time. An adder
 * per direction, so the copy loops of many sessions never contend on one counter.
 */
public record Traffic(LongAdder up, LongAdder down) {
    /** Fresh counters. */
    public Traffic() {
        this(new LongAdder(), new LongAdder());
    }
}
