package chorus.ws;

import chorus.hub.CloseCodes;
import chorus.hub.Member.Offer;
import chorus.hub.SharedFrame;
import com.google.errorprone.annotations.concurrent.GuardedBy;
import java.nio.ByteBuffer;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.util.Callback;

/**
 * One socket's outbound side and its only writer: a bounded queue of encoded frames (messages,
 * errors, pings, pongs) and at most one gathering write in flight, straight to the socket. Close
 * frames are Jetty's to send, so they wait until nothing of ours is in flight.
 *
 * <p>The write state machine: {@code IDLE} (nothing queued), {@code SCHEDULED} (a turn waits
 * in this connection's {@link Writers.Line}), {@code WRITING} (one batch, everything that was
 * queued, handed to the socket as one write). The batch's completion releases its bytes and, if
 * more queued meanwhile, takes a new turn at the back of the line. Offering only queues and
 * returns a verdict; the room acts on it after releasing its lock ({@link #settle}).
 *
 * <p>"Too slow" means the socket is not draining: the bound is full while a batch sits in the
 * socket, or all queues together are over their total while a batch has sat in this socket for a
 * second ({@link OutboundBudget}). A client found too slow gets a close frame after its write in
 * flight, and loses its socket a second later whether or not that write ever completes. While our own writer lags (a turn not yet taken, or the writer between taking a batch
 * and handing it over), the frame is queued anyway, up to {@link #LAG_ALLOWANCE} times the bound,
 * and a scheduled turn is taken at once by the sender: that slows senders to what we can write.
 */
final class Connection {
    private static final int LAG_ALLOWANCE = 2;
    /** A too-slow client's close frame waits behind a write its socket does not take; past this the socket goes anyway. */
    private static final long CLOSE_GRACE_MILLIS = 1_000;
    private static final SharedFrame PING = SharedFrame.ping(); // the same bytes for every socket
    private static final ByteBuffer NOTHING = ByteBuffer.allocate(0); // fills a write's unused slots

    private enum State { IDLE, SCHEDULED, WRITING }

    private final Wire wire;
    private final Writers.Line line;
    private final OutboundBudget budget;
    private final ScheduledExecutorService timer;
    private final String id;
    private final boolean json;
    private final String address;
    private final int maxFrames;
    private final long maxBytes;
    private volatile long lastHeardNanos = System.nanoTime();
    // The batch's completion. A failed write means a broken connection: Jetty reports its close
    // to the endpoint, which ends the membership.
    private final Callback written = Callback.from(Callback.InvocationType.NON_BLOCKING, this::written,
            failure -> failed());

    @GuardedBy("this") private final FrameQueue queue = new FrameQueue();
    @GuardedBy("this") private State state = State.IDLE;
    @GuardedBy("this") private long write; // counts batches, so a late "handed over" cannot mark a newer batch
    @GuardedBy("this") private boolean inSocket; // the batch in flight was handed to the socket and has not completed
    @GuardedBy("this") private long handedNanos; // when the batch in flight was handed to the socket
    @GuardedBy("this") private long inFlightBytes;
    @GuardedBy("this") private long peakBytes;
    @GuardedBy("this") private boolean closed; // nothing more is queued
    @GuardedBy("this") private Runnable afterWrite; // the closing, held until the write in flight ends
    @GuardedBy("this") private Runnable afterDrain; // Jetty's close frame, held until what is queued has gone out
    @GuardedBy("this") private boolean draining; // a close frame waits for the queue: nothing more is taken
    // The write in flight owns both arrays until its completion; then they serve the next one.
    @GuardedBy("this") private SharedFrame[] frames = new SharedFrame[4];
    @GuardedBy("this") private ByteBuffer[] views = filled(new ByteBuffer[4]);
    @GuardedBy("this") private int inFlightCount;

    Connection(Wire wire, Writers.Line line, OutboundBudget budget, ScheduledExecutorService timer, String id, boolean json, String address,
            int maxFrames, long maxBytes) {
        this.wire = wire;
        this.id = id;
        this.address = address;
        this.line = line;
        this.budget = budget;
        this.timer = timer;
        this.json = json;
        this.maxFrames = maxFrames;
        this.maxBytes = maxBytes;
    }

    private static ByteBuffer[] filled(ByteBuffer[] views) {
        java.util.Arrays.fill(views, NOTHING);
        return views;
    }

    synchronized Offer offer(SharedFrame frame, boolean owed) {
        if (closed || draining) return Offer.GONE;
        int size = owed ? 0 : frame.size();
        boolean full = !owed && (queue.chargedFrames() >= maxFrames || queuedBytes() + size > maxBytes);
        boolean stuck = state == State.WRITING && inSocket;
        if (full && (stuck
                || queue.chargedFrames() >= LAG_ALLOWANCE * maxFrames
                || queuedBytes() + size > LAG_ALLOWANCE * maxBytes)
                || !owed && stuck && budget.tooMuch(System.nanoTime() - handedNanos)) {
            releaseLocked();
            return Offer.TOO_SLOW;
        }
        budget.hold(frame);
        queue.add(frame, size);
        peakBytes = Math.max(peakBytes, queuedBytes());
        if (state == State.IDLE) {
            state = State.SCHEDULED;
            return Offer.READY;
        }
        return full && state == State.SCHEDULED ? Offer.BEHIND : Offer.QUEUED;
    }

    void settle(Offer verdict) {
        switch (verdict) {
            case READY -> line.schedule(this);
            case BEHIND -> write(); // the lag is ours: take the turn here, on the sender's thread
            case TOO_SLOW -> {
                close(CloseCodes.TOO_SLOW, CloseCodes.TOO_SLOW_REASON);
                // Whatever the peer still sends (pings keep the idle timeout away), it is not reading.
                timer.schedule(wire::abort, CLOSE_GRACE_MILLIS, TimeUnit.MILLISECONDS);
            }
            default -> {
            }
        }
    }

    /** Sends a frame to this client alone (an error), under the same bound. */
    void send(ByteBuffer frame) {
        settle(offer(new SharedFrame(frame), false));
    }

    /** Answers a ping, under the same bound: a peer that pings and does not read fills it. */
    void pong(ByteBuffer payload) {
        settle(offer(SharedFrame.pong(payload), false));
    }

    void ping() {
        settle(offer(PING, true));
    }

    /** Writes everything queued as one batch, if this turn has not been taken already. */
    void write() {
        long thisWrite;
        long handed = System.nanoTime();
        ByteBuffer[] batch;
        Runnable drained;
        synchronized (this) {
            if (state != State.SCHEDULED) return;
            drained = closed || queue.isEmpty() ? takeDrainedLocked() : null;
            if (closed || queue.isEmpty()) state = State.IDLE;
        }
        if (drained != null) drained.run();
        synchronized (this) {
            if (state != State.SCHEDULED) return;
            state = State.WRITING;
            thisWrite = ++write;
            int n = queue.size();
            if (frames.length < n) {
                frames = new SharedFrame[2 * n];
                views = filled(new ByteBuffer[2 * n]);
            }
            inFlightBytes = queue.drainTo(frames);
            for (int i = 0; i < n; i++) views[i] = frames[i].view();
            inFlightCount = n;
            batch = views;
        }
        // Outside the lock: the completion may run inside the write and take the lock.
        wire.write(written, batch);
        synchronized (this) {
            if (state == State.WRITING && write == thisWrite) {
                inSocket = true;
                handedNanos = handed;
            }
        }
    }

    /** The batch is out: release its bytes, and if more queued meanwhile, take a new turn. */
    private void written() {
        Runnable then;
        boolean again;
        synchronized (this) {
            writeEndedLocked();
            then = takeAfterWriteLocked();
            again = then == null && !closed && !queue.isEmpty();
            if (!again) then = chain(then, takeDrainedLocked());
            state = again ? State.SCHEDULED : State.IDLE;
        }
        if (then != null) {
            then.run();
        } else if (again) {
            // To the back of the line rather than looping here: a client that keeps receiving
            // must not starve the others that share the writer thread.
            line.schedule(this);
        }
    }

    private void failed() {
        Runnable then;
        synchronized (this) {
            writeEndedLocked();
            state = State.IDLE;
            then = chain(takeAfterWriteLocked(), takeDrainedLocked());
            releaseLocked();
        }
        if (then != null) then.run();
    }

    /** Once nothing is queued or in flight: the close frame that waited for the queue, and nothing is taken after it. */
    @GuardedBy("this")
    private Runnable takeDrainedLocked() {
        Runnable then = afterDrain;
        afterDrain = null;
        if (then != null) releaseLocked();
        return then;
    }

    private static Runnable chain(Runnable first, Runnable next) {
        if (first == null) return next;
        if (next == null) return first;
        return () -> {
            first.run();
            next.run();
        };
    }

    @GuardedBy("this")
    private Runnable takeAfterWriteLocked() {
        Runnable then = afterWrite;
        afterWrite = null;
        return then;
    }

    /** The write in flight is over: its frames are let go of, and the arrays serve the next write. */
    @GuardedBy("this")
    private void writeEndedLocked() {
        for (int i = 0; i < inFlightCount; i++) {
            budget.letGo(frames[i]);
            frames[i] = null;
            views[i] = NOTHING;
        }
        // Shrunk back when far bigger than what this connection now writes (a replay grew them).
        if (frames.length > Math.max(16, 8 * inFlightCount)) {
            frames = new SharedFrame[16];
            views = filled(new ByteBuffer[16]);
        }
        inFlightCount = 0;
        inFlightBytes = 0;
        inSocket = false;
    }

    /**
     * Closes the socket with a close frame, once the write in flight (if any) has ended: Jetty writes the
     * frame and then ends the connection, and the endpoint ends the membership. Queued frames are
     * dropped.
     */
    void close(int code, String reason) {
        closeWhenQuiet(() -> wire.close(code, reason));
    }

    /** A last frame, then the close frame once it is written (a socket that does not take it is closed anyway, as too slow). */
    void goodbye(ByteBuffer frame, int code, String reason) {
        send(frame);
        closeAfterQueued(() -> wire.close(code, reason));
    }

    /** Nothing more is queued, and the closing runs once the write in flight (if any) has ended. */
    private void closeWhenQuiet(Runnable closing) {
        Runnable now;
        synchronized (this) {
            releaseLocked();
            if (state == State.WRITING) { // run when the write ends, after any closing asked before
                afterWrite = chain(afterWrite, closing);
                return;
            }
            now = chain(closing, takeDrainedLocked());
        }
        now.run();
    }

    /**
     * Jetty's close frame (an answer to the peer's close, or to a protocol error): what is queued
     * goes out first, nothing more is taken, and then the closing runs ({@link QuietClose}).
     */
    void closeAfterQueued(Runnable closing) {
        synchronized (this) {
            if (!closed && state != State.IDLE) {
                draining = true;
                afterDrain = chain(afterDrain, closing);
                return;
            }
        }
        closeWhenQuiet(closing);
    }

    /** Drops the connection at once, for peers that no longer answer. */
    void abort() {
        release();
        wire.abort();
    }

    /** Nothing more is queued; what the socket holds is released when its write ends. */
    synchronized void release() {
        releaseLocked();
    }

    @GuardedBy("this")
    private void releaseLocked() {
        closed = true;
        queue.clear(budget::letGo);
        // The write in flight is the socket's until it completes or fails: its frames stay held till then.
    }

    synchronized boolean closed() {
        return closed;
    }

    String session() {
        return id;
    }

    String address() {
        return address;
    }

    /** A random session id: public (every message carries it), so it proves nothing about its holder. */
    static String newSession() {
        return Long.toString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE, 36);
    }

    boolean json() {
        return json;
    }

    /** Called for every frame the peer sends, pongs included. */
    void heard() {
        lastHeardNanos = System.nanoTime();
    }

    long lastHeardNanos() {
        return lastHeardNanos;
    }

    /** Bytes queued and in flight, charged against the bound. */
    synchronized long queuedBytes() {
        return queue.chargedBytes() + inFlightBytes;
    }

    synchronized long peakBytes() {
        return peakBytes;
    }
}
