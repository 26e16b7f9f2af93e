package chorus.tasks;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Events a client can cause at will (a broken request, a socket dropped without a close): one log
 * line per kind per minute, with its count, instead of a line each, so an attacker cannot make the
 * log its amplifier. Kinds are fixed strings of ours, never a client's words, so the map stays small.
 */
public final class QuietLog {
    private static final Logger LOG = LoggerFactory.getLogger(QuietLog.class);
    private static final long INTERVAL_SECONDS = 60;
    private final Map<String, LongAdder> counts = new ConcurrentHashMap<>();

    /** The summary runs on the timer (a guarded one: a failed summary does not end the schedule). */
    public QuietLog(ScheduledExecutorService timer) {
        timer.scheduleAtFixedRate(this::summarize, INTERVAL_SECONDS, INTERVAL_SECONDS, TimeUnit.SECONDS);
    }

    /** Counts one event of this kind; any thread. */
    public void note(String kind) {
        counts.computeIfAbsent(kind, k -> new LongAdder()).increment();
    }

    private void summarize() {
        counts.forEach((kind, count) -> {
            long n = count.sumThenReset();
            if (n > 0) LOG.info("{} in the last {} s: {}", kind, INTERVAL_SECONDS, n);
        });
    }
}
