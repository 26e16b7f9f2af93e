package chorus.bench;

import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Recorder;
import org.eclipse.jetty.websocket.api.Session;

/**
 * One benchmark socket. Every message it receives carries the time it was due to be sent, so
 * latency counts from the schedule (no coordinated omission) to arrival. Public for Jetty.
 */
public final class Subscriber implements Session.Listener.AutoDemanding {
    static final String TAG = "L|";
    /** Messages due before this (System.nanoTime) belong to the warm-up and are not counted. */
    static volatile long countFrom;

    private final Recorder latencyMicros;
    private final LongAdder delivered;
    private final LongAdder closed;
    volatile Session session;

    Subscriber(Recorder latencyMicros, LongAdder delivered, LongAdder closed) {
        this.latencyMicros = latencyMicros;
        this.delivered = delivered;
        this.closed = closed;
    }

    @Override
    public void onWebSocketOpen(Session session) {
        this.session = session;
    }

    @Override
    public void onWebSocketText(String message) {
        long now = System.nanoTime();
        int at = message.indexOf(TAG); // plain text, or inside a chorus.v1 JSON frame
        if (at < 0) return;
        int end = message.indexOf('|', at + TAG.length());
        long due = Long.parseLong(message, at + TAG.length(), end, 10);
        if (due < countFrom) return;
        latencyMicros.recordValue(Math.max(0, (now - due) / 1000));
        delivered.increment();
    }

    @Override
    public void onWebSocketClose(int statusCode, String reason) {
        closed.increment();
    }

    @Override
    public void onWebSocketError(Throwable cause) {
        // sockets closing at the end of a run; losses are counted, not logged
    }

    /** The message a publisher sends: the tag, when it was due, and padding to the payload size. */
    static String message(long dueNanos, int size) {
        StringBuilder text = new StringBuilder(size).append(TAG).append(dueNanos).append('|');
        while (text.length() < size) text.append('x');
        return text.toString();
    }
}
