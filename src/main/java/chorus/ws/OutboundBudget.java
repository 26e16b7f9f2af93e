package chorus.ws;

import chorus.hub.SharedFrame;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntSupplier;

/**
 * One bound on the bytes every socket's queue holds, each shared frame counted once while any
 * queue holds it (its memory is what it costs, however many members it went to). Past the bound,
 * a connection offered a frame while it holds more than its fair share (the bound over the open
 * sockets) is too slow: those holding the most go first, and a reader that keeps up, holding a
 * frame or two, is not dropped for someone else's backlog. A frame a big room shares costs once,
 * so a broadcast alone does not push the total over.
 */
final class OutboundBudget {
    private final long limit;
    private final IntSupplier sockets;
    private final AtomicLong held = new AtomicLong(); // changed by every connection's thread
    private final Counter dropped;

    OutboundBudget(long limit, IntSupplier sockets, MeterRegistry registry) {
        this.limit = limit;
        this.sockets = sockets;
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

    /** Whether a connection that would hold this many bytes must go now. */
    boolean tooMuch(long queuedBytes) {
        if (held.get() <= limit || queuedBytes <= limit / Math.max(1, sockets.getAsInt())) return false;
        dropped.increment();
        return true;
    }
}
