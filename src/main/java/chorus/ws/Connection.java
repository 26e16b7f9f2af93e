package chorus.ws;

import chorus.hub.Claim;
import chorus.hub.CloseCodes;
import chorus.hub.Member;
import chorus.hub.SharedFrame;
import com.google.errorprone.annotations.concurrent.GuardedBy;
import java.nio.ByteBuffer;
import java.util.concurrent.ThreadLocalRandom;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.websocket.core.CoreSession;
import org.eclipse.jetty.websocket.core.Frame;
import org.eclipse.jetty.websocket.core.OpCode;

/**
 * One socket's outbound side: a bounded queue and at most one write in flight (Jetty's rule:
 * never start a send before the previous one completed, or buffering is unbounded).
 *
 * <p>The write state machine: {@code IDLE} (nothing queued), {@code SCHEDULED} (a turn waits
 * with the {@link Writers}), {@code WRITING} (one batch, everything that was queued, handed to
 * Jetty as one gathering write). The batch's completion releases its bytes and, if more queued
 * meanwhile, takes a new turn at the back of the line. Offering only queues and returns a
 * verdict; the room acts on it after releasing its lock ({@link #settle}).
 *
 * <p>"Too slow" means the socket is not draining: the bound is full while a batch sits in the
 * socket. While our own writers lag (a turn not yet taken, or a writer between taking a batch
 * and handing it over), the frame is queued anyway, up to {@link #LAG_ALLOWANCE} times the bound,
 * and a scheduled turn is taken at once by the sender: that slows senders to what we can write.
 */
final class Connection implements Member {
    private static final int LAG_ALLOWANCE = 2;

    private enum State { IDLE, SCHEDULED, WRITING }

    private final CoreSession session;
    private final Writers writers;
    private final OutboundBudget budget;
    private final String id;
    private final boolean json;
    private final String address;
    private final int maxFrames;
    private final long maxBytes;
    private volatile Claim claim; // the name it shows, and who it is
    private volatile long lastHeardNanos = System.nanoTime();
    // The batch's completion. A failed write means a broken connection: Jetty reports its close
    // to the endpoint, which ends the membership.
    private final Callback written = Callback.from(Callback.InvocationType.NON_BLOCKING, this::written,
            failure -> failed());

    @GuardedBy("this") private final FrameQueue queue = new FrameQueue();
    @GuardedBy("this") private State state = State.IDLE;
    @GuardedBy("this") private long write; // counts batches, so a late "handed over" cannot mark a newer batch
    @GuardedBy("this") private boolean inSocket; // the batch in flight was handed to Jetty and has not completed
    @GuardedBy("this") private long inFlightBytes;
    @GuardedBy("this") private long peakBytes;
    @GuardedBy("this") private boolean closed;
    @GuardedBy("this") private SharedFrame[] batch = new SharedFrame[4]; // the spare array; null while a write owns it
    @GuardedBy("this") private SharedFrame[] inFlight; // the write in flight's frames, let go when it completes
    @GuardedBy("this") private int inFlightCount;

    Connection(CoreSession session, Writers writers, OutboundBudget budget, String id, Claim claim, boolean json, String address,
            int maxFrames, long maxBytes) {
        this.session = session;
        this.id = id;
        this.address = address;
        this.writers = writers;
        this.budget = budget;
        this.claim = claim;
        this.json = json;
        this.maxFrames = maxFrames;
        this.maxBytes = maxBytes;
    }

    @Override
    public synchronized Offer offer(SharedFrame frame, boolean owed) {
        if (closed) return Offer.GONE;
        int size = owed ? 0 : frame.size();
        boolean full = !owed && (queue.chargedFrames() >= maxFrames || queuedBytes() + size > maxBytes);
        boolean stuck = state == State.WRITING && inSocket;
        if (full && (stuck
                || queue.chargedFrames() >= LAG_ALLOWANCE * maxFrames
                || queuedBytes() + size > LAG_ALLOWANCE * maxBytes)
                || !owed && budget.tooMuch(queuedBytes() + size)) {
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

    @Override
    public void settle(Offer verdict) {
        switch (verdict) {
            case READY -> writers.schedule(this);
            case BEHIND -> write(); // the lag is ours: take the turn here, on the sender's thread
            case TOO_SLOW -> close(CloseCodes.TOO_SLOW, CloseCodes.TOO_SLOW_REASON);
            default -> {
            }
        }
    }

    /** Sends a frame to this client alone (an error), under the same bound. */
    void send(ByteBuffer frame) {
        settle(offer(new SharedFrame(frame), false));
    }

    /** Writes everything queued as one batch, if this turn has not been taken already. */
    void write() {
        int n;
        long thisWrite;
        SharedFrame[] frames;
        synchronized (this) {
            if (state != State.SCHEDULED) return;
            if (closed || queue.isEmpty()) {
                state = State.IDLE;
                return;
            }
            state = State.WRITING;
            thisWrite = ++write;
            n = queue.size();
            // The write owns this array until its completion lets go of the frames: the completion
            // may run inside sendFrame and start the next write on another thread.
            frames = batch != null && batch.length >= n ? batch : new SharedFrame[Math.max(4, 2 * n)];
            batch = null;
            inFlightBytes = queue.drainTo(frames);
            inFlight = frames;
            inFlightCount = n;
        }
        // The frames gather into one socket write; the last one flushes and reports the write.
        for (int i = 0; i < n; i++) {
            boolean last = i == n - 1;
            session.sendFrame(new Frame(OpCode.TEXT, true, frames[i].view()), last ? written : Callback.NOOP, !last);
        }
        synchronized (this) {
            if (state == State.WRITING && write == thisWrite) inSocket = true;
        }
    }

    /** The batch is out: release its bytes, and if more queued meanwhile, take a new turn. */
    private void written() {
        synchronized (this) {
            writeEndedLocked();
            inSocket = false;
            if (closed || queue.isEmpty()) {
                state = State.IDLE;
                return;
            }
            state = State.SCHEDULED;
        }
        // To the back of the line rather than looping here: a client that keeps receiving must
        // not starve the others that share the writer thread.
        writers.schedule(this);
    }

    private synchronized void failed() {
        writeEndedLocked();
        releaseLocked();
    }

    /** The write in flight is over: its frames are let go of, and its array is the spare again. */
    @GuardedBy("this")
    private void writeEndedLocked() {
        if (inFlight != null) {
            for (int i = 0; i < inFlightCount; i++) {
                budget.letGo(inFlight[i]);
                inFlight[i] = null;
            }
            // Kept as the spare unless it is far bigger than what this connection now writes.
            if (batch == null && inFlight.length <= Math.max(16, 8 * inFlightCount)) batch = inFlight;
            inFlight = null;
            inFlightCount = 0;
        }
        inFlightBytes = 0;
    }

    /** Sends a close frame; the endpoint ends the membership when Jetty reports the close. */
    @Override
    public void close(int code, String reason) {
        session.close(code, reason, Callback.NOOP);
    }

    /** Drops the connection at once, for peers that no longer answer. */
    void abort() {
        release();
        session.abort();
    }

    void ping() {
        session.sendFrame(new Frame(OpCode.PING), Callback.NOOP, false);
    }

    /** Nothing more is queued; what Jetty holds is released when its write ends. */
    synchronized void release() {
        releaseLocked();
    }

    @GuardedBy("this")
    private void releaseLocked() {
        closed = true;
        queue.clear(budget::letGo);
        // The write in flight is Jetty's until it completes or fails: its frames stay held till then.
    }

    @Override
    public synchronized boolean closed() {
        return closed;
    }

    @Override
    public String session() {
        return id;
    }

    @Override
    public Claim claim() {
        return claim;
    }

    @Override
    public String address() {
        return address;
    }

    @Override
    public void rename(Claim claim) {
        this.claim = claim;
    }

    /** A random session id: public (every message carries it), so it proves nothing about its holder. */
    static String newSession() {
        return Long.toString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE, 36);
    }

    @Override
    public boolean json() {
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
