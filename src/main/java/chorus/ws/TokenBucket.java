package chorus.ws;

import com.google.errorprone.annotations.concurrent.GuardedBy;
/**
 * A rate limit: {@code rate} tokens a second, at most {@code burst} saved.
 *
 * <p>Something without a token is refused. A sender that keeps sending anyway, more than
 * {@code burst} refusals without once letting the bucket refill, is persistently over the limit.
 * A connection's own bucket is used by its reading thread only; an address's is shared.
 */
final class TokenBucket {
    private final double ratePerNano;
    private final int burst;
    @GuardedBy("this") private double tokens;
    @GuardedBy("this") private long last;
    @GuardedBy("this") private int refusals;

    TokenBucket(double perSecond, int burst) {
        this.ratePerNano = perSecond / 1e9;
        this.burst = burst;
        this.tokens = burst;
        this.last = System.nanoTime();
    }

    enum Verdict { ACCEPT, REFUSE, ABUSE }

    synchronized Verdict take() {
        refill();
        if (tokens >= burst) refusals = 0; // behaved long enough to refill: forgive
        if (tokens >= 1) {
            tokens -= 1;
            return Verdict.ACCEPT;
        }
        return ++refusals > burst ? Verdict.ABUSE : Verdict.REFUSE;
    }

    synchronized boolean isFull() {
        refill();
        return tokens >= burst;
    }

    @GuardedBy("this")
    private void refill() {
        long now = System.nanoTime();
        tokens = Math.min(burst, tokens + (now - last) * ratePerNano);
        last = now;
    }
}
