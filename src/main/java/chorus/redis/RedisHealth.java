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
    /** Redis is slow when the 99th percentile of its round trips in the last few seconds is over this. */
    static final long SLOW_NANOS = 250_000_000L;
    private static final long WINDOW_NANOS = 5_000_000_000L;
    private static final int MIN_SAMPLES = 3; // a beat a second: judged on at least three
    private static final int MAX_SAMPLES = 1_000;
    @GuardedBy("this") private final java.util.ArrayDeque<long[]> roundTrips = new java.util.ArrayDeque<>(); // {when, how long}
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

    /** A command's round trip (a publish, a beat's PING); any thread. */
    synchronized void roundTrip(long nanos) {
        long now = System.nanoTime();
        roundTrips.addLast(new long[] {now, nanos});
        while (roundTrips.size() > MAX_SAMPLES || now - roundTrips.peekFirst()[0] > WINDOW_NANOS) roundTrips.removeFirst();
    }

    /** Whether the 99th percentile of the last few seconds' round trips is over {@link #SLOW_NANOS}. */
    private synchronized boolean slow() {
        long now = System.nanoTime();
        while (!roundTrips.isEmpty() && now - roundTrips.peekFirst()[0] > WINDOW_NANOS) roundTrips.removeFirst();
        if (roundTrips.size() < MIN_SAMPLES) return false;
        long[] sorted = roundTrips.stream().mapToLong(sample -> sample[1]).sorted().toArray();
        return sorted[(int) Math.min(sorted.length - 1, Math.ceil(0.99 * sorted.length) - 1)] > SLOW_NANOS;
    }

    /** Null while Redis takes reads and writes promptly and the subscriber answers. */
    String problem() {
        String r = reading;
        if (r != null) return r;
        String w = writing;
        if (w != null) return w;
        if (listening != null) return listening;
        return slow() ? "slow" : null;
    }

    private synchronized void log() {
        String now = problem();
        if (java.util.Objects.equals(now, logged)) return;
        if (now == null) LOG.info("Redis answers again: delivering");
        else if (now.equals("slow")) LOG.warn("Redis slow: its round trips' p99 is over {} ms (still delivering)", SLOW_NANOS / 1_000_000);
        else LOG.warn("Redis {}: degraded (messages are refused until it recovers)", now);
        logged = now;
    }
}
