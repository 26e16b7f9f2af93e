package chorus.ws;

import chorus.hub.SharedFrame;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One bound on the bytes every socket's queue holds, each shared frame counted once while any
 * queue holds it (its memory is what it costs, however many members it went to). Past the bound,
 * a connection offered a frame while its socket is not draining (a write has sat in it for
 * {@link #NOT_DRAINING}) is too slow: the pressure falls on the readers that make it. A member
 * whose queue is empty or draining is never closed for the total, however big its frames or
 * however many sockets share the bound. A frame a big room shares costs once, so a broadcast
 * alone does not push the total over.
 */
final class OutboundBudget {
    private final long limit;
    /** A write in a socket this long met a reader that is not keeping up: a kernel buffer takes a reading client's bytes at once. */
    static final long NOT_DRAINING = 250_000_000L;
    private final AtomicLong held = new AtomicLong(); // changed by every connection's thread
    private final Counter dropped;

    OutboundBudget(long limit, MeterRegistry registry) {
        this.limit = limit;
        Gauge.builder("chorus.outbound.held.bytes", held, AtomicLong::get)
                .description("bytes of distinct frames queued to clients, each counted once").register(registry);
        this.dropped = Counter.builder("chorus.outbound.budget.dropped")
                .description("clients closed as too slow because all queues together were over SEND_QUEUE_TOTAL_BYTES")
                .register(registry);
    }

    void hold(SharedFrame frame) {
        if (frame.hold()) held.addAndGet(frame.size());
    }

    void letGo(SharedFrame frame) {
        if (frame.letGo()) held.addAndGet(-frame.size());
    }

    /** Whether a connection whose write has sat in its socket this long must go now. */
    boolean tooMuch(long stuckNanos) {
        if (stuckNanos < NOT_DRAINING || held.get() <= limit) return false;
        dropped.increment();
        return true;
    }
}
