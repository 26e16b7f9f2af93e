package chorus.hub;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.websocket.core.CoreSession;
import org.eclipse.jetty.websocket.core.Frame;
import org.eclipse.jetty.websocket.core.OpCode;

/**
 * One connection's outbound side: a bounded queue and at most one write in flight.
 *
 * <p>Jetty's rule: never start a send before the previous one completed, or buffering is
 * unbounded. {@link #run()} takes everything queued and hands it to Jetty as one batch (one
 * gathering write); the batch's completion puts the client back in the {@link Flusher}'s line
 * if more has queued meanwhile. A client whose queue overflows is closed with
 * {@link CloseCodes#TOO_SLOW}; nobody ever waits for it.
 */
public final class Client implements Runnable {
    private final CoreSession session;
    private final String id = Long.toString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE, 36);
    private final String room;
    private final boolean json;
    private volatile String name;
    private final int maxMessages;
    private final long maxBytes;
    private final Consumer<Client> onTooSlow;
    private final Flusher flusher;
    // The write's completion: release the bytes, then the next turn. A failed write means a broken
    // connection; Jetty reports its close to the endpoint, which makes the hub forget the client.
    private final Callback written = Callback.from(Callback.InvocationType.NON_BLOCKING, this::written,
            failure -> release());

    // Guarded by this.
    private final ArrayDeque<ByteBuffer> queue = new ArrayDeque<>();
    private long queuedBytes; // queued and in flight
    private long inFlightBytes;
    private long peakBytes;
    private int backlogAhead; // leading queue entries that came from the room's history
    // IDLE: nothing to do. SCHEDULED: a turn waits in the Flusher. WRITING: one batch is in
    // flight, so never two (Jetty's rule), and never none while messages wait.
    private static final int IDLE = 0, SCHEDULED = 1, WRITING = 2;
    private int state = IDLE;
    private boolean released;
    private ByteBuffer[] batch = new ByteBuffer[16];

    private volatile long lastHeardNanos = System.nanoTime();

    Client(CoreSession session, String room, String name, boolean json, int maxMessages, long maxBytes,
            Flusher flusher, Consumer<Client> onTooSlow) {
        this.flusher = flusher;
        this.session = session;
        this.room = room;
        this.name = name;
        this.json = json;
        this.maxMessages = maxMessages;
        this.maxBytes = maxBytes;
        this.onTooSlow = onTooSlow;
    }

    /**
     * Queues an encoded text message, never waiting for the client, and tells whether the caller
     * must hand the client to the {@link Flusher} (it was idle). A full queue whose write is stuck
     * in the socket means the client is too slow: it is closed and its queue released.
     */
    boolean offer(ByteBuffer payload) {
        int size = payload.remaining();
        boolean tookTurn = false;
        while (true) {
            synchronized (this) {
                if (released) return false;
                if (queue.size() - backlogAhead < maxMessages && queuedBytes + size <= maxBytes) {
                    queue.add(payload);
                    queuedBytes += size;
                    peakBytes = Math.max(peakBytes, queuedBytes);
                    return wake();
                }
                if (state != SCHEDULED || tookTurn) {
                    releaseLocked();
                    break;
                }
            }
            // Full only because the writers have not reached this client yet: the lag is ours, not
            // the client's. Take its turn here; that also slows the sender down to what we can write.
            run();
            tookTurn = true;
        }
        close(CloseCodes.TOO_SLOW, CloseCodes.TOO_SLOW_REASON);
        onTooSlow.accept(this);
        return false;
    }

    /**
     * Queues what a joining client is owed: its welcome and the room's history. These are not
     * counted against the bound: the buffers are the room's own, shared, so they cost no memory.
     */
    synchronized boolean offerBacklog(ByteBuffer payload) {
        if (released) return false;
        queue.add(payload);
        backlogAhead++;
        return wake();
    }

    /** Sends a frame to this client alone (an error, a presence update), under the same bound. */
    public void send(ByteBuffer payload) {
        if (offer(payload)) flusher.flush(this);
    }

    private boolean wake() {
        if (state != IDLE) return false;
        state = SCHEDULED;
        return true;
    }

    /** Writes everything queued as one batch, if this client's turn has not been taken already. */
    @Override
    public void run() {
        int n;
        synchronized (this) {
            if (state != SCHEDULED) return;
            if (released || queue.isEmpty()) {
                state = IDLE;
                return;
            }
            state = WRITING;
            n = queue.size();
            if (batch.length < n) batch = new ByteBuffer[Math.max(n, batch.length * 2)];
            for (int i = 0; i < n; i++) {
                batch[i] = queue.poll();
                if (backlogAhead > 0) backlogAhead--;
                else inFlightBytes += batch[i].remaining();
            }
        }
        // Batched frames gather into one socket write; the last one flushes and reports the write.
        for (int i = 0; i < n; i++) {
            boolean last = i == n - 1;
            Frame frame = new Frame(OpCode.TEXT, true, batch[i].slice());
            batch[i] = null;
            session.sendFrame(frame, last ? written : Callback.NOOP, !last);
        }
    }

    /** The batch is out: release its bytes, and if more queued meanwhile, take a new turn. */
    private void written() {
        synchronized (this) {
            queuedBytes -= inFlightBytes;
            inFlightBytes = 0;
            if (released || queue.isEmpty()) {
                state = IDLE;
                return;
            }
            state = SCHEDULED;
        }
        // To the back of the line rather than looping here: a client that keeps receiving must
        // not starve the others that share the writer thread.
        flusher.flush(this);
    }

    /** Sends a close frame; the hub forgets the client when Jetty reports the close. */
    public void close(int code, String reason) {
        session.close(code, reason, Callback.NOOP);
    }

    /** Drops the connection at once, for peers that no longer answer. */
    public void abort() {
        release();
        session.abort();
    }

    void ping() {
        session.sendFrame(new Frame(OpCode.PING), Callback.NOOP, false);
    }

    public String session() {
        return id;
    }

    public String room() {
        return room;
    }

    public String name() {
        return name;
    }

    void rename(String name) {
        this.name = name;
    }

    public boolean json() {
        return json;
    }

    /** Called for every frame the peer sends, pongs included. */
    public void heard() {
        lastHeardNanos = System.nanoTime();
    }

    long lastHeardNanos() {
        return lastHeardNanos;
    }

    synchronized long queuedBytes() {
        return queuedBytes;
    }

    synchronized long peakBytes() {
        return peakBytes;
    }

    void release() {
        synchronized (this) {
            releaseLocked();
        }
    }

    private void releaseLocked() {
        released = true;
        queue.clear();
        backlogAhead = 0;
        queuedBytes = inFlightBytes; // what Jetty still holds until the write ends
    }
}
