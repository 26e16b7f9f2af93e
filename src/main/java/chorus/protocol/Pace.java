package chorus.protocol;

/**
 * The send limits a welcome announces, so a client can pace its outbox under them instead of
 * learning them from refusals: the socket's own budget of frames and its address's, shared by
 * every socket from that address.
 */
public record Pace(int maxBytes, double rate, int burst, double addressRate, int addressBurst) {
    /** An address's burst: two seconds of its rate. */
    public static int addressBurst(double addressRate) {
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE, 2 * addressRate));
    }
}
