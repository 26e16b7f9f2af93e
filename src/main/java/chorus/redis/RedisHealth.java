package chorus.redis;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisCommandTimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What is wrong with Redis now, if anything, as reading and as writing see it: shown by /health
 * as the reason it is degraded, and logged once when an episode begins and once when it ends.
 */
final class RedisHealth {
    private static final Logger LOG = LoggerFactory.getLogger(RedisHealth.class);
    private volatile String reading; // volatile: written by whichever thread saw the outcome, read by /health
    private volatile String writing;
    private volatile String listening; // the subscriber connection's problem
    @GuardedBy("this") private String logged; // the problem last logged

    /** unreachable, timeout or out-of-memory: what an operator needs to know first. */
    static String reason(Throwable failure) {
        if (failure instanceof RedisCommandTimeoutException) return "timeout";
        if (failure instanceof RedisCommandExecutionException e && String.valueOf(e.getMessage()).startsWith("OOM")) {
            return "out-of-memory";
        }
        return "unreachable";
    }

    void reading(Throwable failure) {
        reading = failure == null ? null : reason(failure);
        log();
    }

    void writing(Throwable failure) {
        writing = failure == null ? null : reason(failure);
        log();
    }

    /** The subscriber connection's problem, or null when it answers. */
    void listening(String problem) {
        listening = problem;
        log();
    }

    /** Null while Redis takes reads and writes and the subscriber answers. */
    String problem() {
        String r = reading;
        if (r != null) return r;
        String w = writing;
        return w != null ? w : listening;
    }

    private synchronized void log() {
        String now = problem();
        if (java.util.Objects.equals(now, logged)) return;
        if (now == null) LOG.info("Redis answers again: delivering");
        else LOG.warn("Redis {}: degraded (messages are refused until it recovers)", now);
        logged = now;
    }
}
