package chorus.ws;

import chorus.protocol.Frames;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The open sockets of this instance: a place under {@code MAX_CONNECTIONS} is reserved when an
 * upgrade is accepted, so the cap holds exactly under a stampede, and given back once, by
 * {@link Lease#end()}, whatever ends the socket (a close, or an upgrade that never opened).
 */
public final class Sockets {
    private final int max;
    private final Addresses addresses;
    // Changed only under this (with the address's count, so the two are decided together); read without it.
    private final AtomicInteger reserved = new AtomicInteger();
    private final Set<Connection> open = ConcurrentHashMap.newKeySet();
    private final AtomicLong retiredPeakBytes = new AtomicLong();
    private volatile boolean draining;

    Sockets(int max, Addresses addresses, MeterRegistry registry) {
        this.max = max;
        this.addresses = addresses;
        Gauge.builder("chorus.connections", reserved, AtomicInteger::get).description("open sockets")
                .register(registry);
        Gauge.builder("chorus.outbound.queue.bytes", this, Sockets::queuedBytes)
                .description("bytes queued or in flight to clients").register(registry);
    }

    /** Why an upgrade gets no place: the HTTP status and reason it is answered with. */
    static final String BANNED_ADDRESS = "your address is refused for a while by an operator";

    static final class Refused extends Exception {
        final int status;

        Refused(int status, String reason) {
            super(reason, null, false, false);
            this.status = status;
        }
    }

    /** One socket's place, here and under its address: ended exactly once. */
    final class Lease {
        private final AtomicBoolean ended = new AtomicBoolean();
        final String address;
        final Addresses.Entry limits;
        private volatile Connection connection;

        private Lease(String address, Addresses.Entry limits) {
            this.address = address;
            this.limits = limits;
        }

        /** False if the lease ended before the socket opened (its upgrade failed): close it. */
        boolean opened(Connection connection) {
            this.connection = connection;
            open.add(connection);
            if (!ended.get()) return true;
            open.remove(connection);
            return false;
        }

        void end() {
            if (!ended.compareAndSet(false, true)) return;
            Connection c = connection;
            if (c != null) {
                open.remove(c);
                retiredPeakBytes.accumulateAndGet(c.peakBytes(), Math::max);
            }
            synchronized (Sockets.this) {
                addresses.release(address);
                reserved.decrementAndGet();
            }
        }
    }

    /**
     * A place for one more socket from this client address. Both caps are decided in one step:
     * taking the instance's place first and giving it back on a refusal would refuse a
     * concurrent upgrade (503) for a place no order of the two ever held (SocketsLincheckTest).
     */
    synchronized Lease reserve(String address) throws Refused {
        if (reserved.get() >= max) throw new Refused(503, "too many connections");
        if (addresses.banned(address)) throw new Refused(403, BANNED_ADDRESS);
        Addresses.Entry limits = addresses.admit(address);
        if (limits == null) throw new Refused(429, "too many connections from your address");
        reserved.incrementAndGet();
        return new Lease(address, limits);
    }

    Iterable<Connection> open() {
        return open;
    }

    /** Open or opening sockets. */
    public int size() {
        return reserved.get();
    }

    /**
     * Returns spread over at least this long, or longer for many sockets: at most {@link #RETURNS_PER_SECOND} a
     * second from this instance's clients, so the instances they come back to are not hit all at once.
     */
    private static final long MIN_RETURN_WINDOW_MS = 1_000;
    private static final long MAX_RETURN_WINDOW_MS = 10_000;
    private static final int RETURNS_PER_SECOND = 1_000;

    /**
     * Stops new sockets and closes every open one with 1001, so pages reconnect elsewhere; each
     * chorus.v1 socket is first told when to come back ({@code goodbye}), its own moment in a
     * window that grows with how many there are, rather than all at once.
     */
    public void drain(int code, String reason) {
        draining = true;
        long window = Math.min(MAX_RETURN_WINDOW_MS, Math.max(MIN_RETURN_WINDOW_MS, 1_000L * size() / RETURNS_PER_SECOND));
        for (Connection connection : open) {
            if (connection.json()) connection.goodbye(Frames.goodbye(ThreadLocalRandom.current().nextLong(window)), code, reason);
            else connection.close(code, reason);
        }
    }

    public boolean isDraining() {
        return draining;
    }

    /** Bytes queued or in flight across all sockets: the engine's own memory accounting. */
    public long queuedBytes() {
        long sum = 0;
        for (Connection connection : open) sum += connection.queuedBytes();
        return sum;
    }

    /** The most any one socket ever had queued: the configured bound, or up to twice it while our own writer lagged. */
    public long peakQueuedBytes() {
        long peak = retiredPeakBytes.get();
        for (Connection connection : open) peak = Math.max(peak, connection.peakBytes());
        return peak;
    }
}
