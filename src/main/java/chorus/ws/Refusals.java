package chorus.ws;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** Counts refused messages by reason: chorus_messages_refused_total{reason="..."}. */
final class Refusals {
    private final MeterRegistry registry;
    private final Map<String, Counter> counters = new ConcurrentHashMap<>();

    Refusals(MeterRegistry registry) {
        this.registry = registry;
    }

    void count(String reason) {
        counters.computeIfAbsent(reason, r -> Counter.builder("chorus.messages.refused").tag("reason", r)
                .description("messages refused, by reason").register(registry)).increment();
    }
}
