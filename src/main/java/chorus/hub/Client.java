package chorus.hub;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.IteratingCallback;
import org.eclipse.jetty.websocket.core.CoreSession;
import org.eclipse.jetty.websocket.core.Frame;
import org.eclipse.jetty.websocket.core.OpCode;

/**
 * One connection's outbound side: a bounded queue and at most one write in flight.
 *
 * <p>Jetty's rule: never start a send before the previous one completed, or buffering is
 * unbounded. {@link #process()} takes everything queued, hands it to Jetty as one batch (one
 * gathering write), and the batch's completion calls {@code process()} again. A client whose
 * queue overflows is closed with {@link CloseCodes#TOO_SLOW}; nobody ever waits for it.
 */
public final class Client extends IteratingCallback {
    private final CoreSession session;
    private final String id = Long.toString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE, 36);
    private final String room;
    private final boolean json;
    private volatile String name;
    private final int maxMessages;
    private final long maxBytes;
    private final Consumer<Client> onTooSlow;

    // Guarded by this.
    private final ArrayDeque<ByteBuffer> queue = new ArrayDeque<>();
    private long queuedBytes; // queued and in flight
    private long inFlightBytes;
    private long peakBytes;
    private int backlogAhead; // leading queue entries that came from the room's history
    private boolean released;
    private ByteBuffer[] batch = new ByteBuffer[16];

    private volatile long lastHeardNanos = System.nanoTime();

    Client(CoreSession session, String room, String name, boolean json, int maxMessages, long maxBytes,
            Consumer<Client> onTooSlow) {
        this.session = session;
        this.room = room;
        this.name = name;
        this.json = json;
        this.maxMessages = maxMessages;
        this.maxBytes = maxBytes;
        this.onTooSlow = onTooSlow;
    }

    /**
     * Queues an encoded text message, never blocking. When the queue is full the client is
     * closed as too slow, its queue is released, and false is returned.
     */
    public boolean offer(ByteBuffer payload) {
        int size = payload.remaining();
        synchronized (this) {
            if (released) return false;
            if (queue.size() - backlogAhead >= maxMessages || queuedBytes + size > maxBytes) {
                releaseLocked();
            } else {
                queue.add(payload);
                queuedBytes += size;
                peakBytes = Math.max(peakBytes, queuedBytes);
                size = -1;
            }
        }
        if (size >= 0) { // overflowed
            close(CloseCodes.TOO_SLOW, CloseCodes.TOO_SLOW_REASON);
            onTooSlow.accept(this);
            return false;
        }
        iterate();
        return true;
    }

    /**
     * Queues what a joining client is owed: its welcome and the room's history. These are not
     * counted against the bound: the buffers are the room's own, shared, so they cost no memory.
     */
    void offerBacklog(ByteBuffer payload) {
        synchronized (this) {
            if (released) return;
            queue.add(payload);
            backlogAhead++;
        }
        iterate();
    }

    @Override
    protected Action process() {
        int n;
        synchronized (this) {
            if (released || queue.isEmpty()) return Action.IDLE;
            n = queue.size();
            if (batch.length < n) batch = new ByteBuffer[Math.max(n, batch.length * 2)];
            for (int i = 0; i < n; i++) {
                batch[i] = queue.poll();
                if (backlogAhead > 0) backlogAhead--;
                else inFlightBytes += batch[i].remaining();
            }
        }
        // Batched frames gather into one socket write; the last one flushes and completes the step.
        for (int i = 0; i < n; i++) {
            boolean last = i == n - 1;
            Frame frame = new Frame(OpCode.TEXT, true, batch[i].slice());
            batch[i] = null;
            session.sendFrame(frame, last ? this : Callback.NOOP, !last);
        }
        return Action.SCHEDULED;
    }

    @Override
    protected void onSuccess() {
        synchronized (this) {
            queuedBytes -= inFlightBytes;
            inFlightBytes = 0;
        }
    }

    @Override
    protected void onCompleteFailure(Throwable cause) {
        release(); // the connection is broken; Jetty reports the close to the endpoint
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

    public boolean isOutputOpen() {
        return session.isOutputOpen();
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
