package chorus.ws;

import chorus.tasks.QuietLog;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Counts refused messages by reason: chorus_messages_refused_total{reason="..."}; and sockets that
 * ended with an unexpected code go to the quiet log (a client can end as many as it likes).
 */
final class Refusals {
    private final MeterRegistry registry;
    private final QuietLog log;
    private final Map<String, Counter> counters = new ConcurrentHashMap<>();

    Refusals(MeterRegistry registry, QuietLog log) {
        this.registry = registry;
        this.log = log;
    }

    /** A socket ended with a code that is not an ordinary goodbye. */
    void closedWith(int code) {
        log.note(code >= 3000 ? "sockets closed with an application's code (3000-4999)" : "sockets closed with code " + code);
    }

    void count(String reason) {
        counters.computeIfAbsent(reason, r -> Counter.builder("chorus.messages.refused").tag("reason", r)
                .description("messages refused, by reason").register(registry)).increment();
    }
}
