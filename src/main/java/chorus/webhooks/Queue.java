package chorus.webhooks;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;

/**
 * Events waiting for delivery, in memory: a line per key (a room, a person), delivered in order,
 * the head of a line delivered (or retried) before the next; every line within one byte bound,
 * past which the oldest event not in flight is dropped and counted. One lock, held briefly, and
 * no I/O under it. With Redis, the events an instance delivers wait here once read from the
 * shared stream.
 */
public final class Queue implements Outbox {
    private record Queued(Event event, long seq) {
    }

    private static final class Line {
        final ArrayDeque<Queued> events = new ArrayDeque<>();
        Delivery inFlight; // its head, out for delivery
        long notBefore; // when its head may be tried again (ms)
        int attempts; // failed tries of its head
    }

    private final long maxBytes;
    @GuardedBy("this") private final Map<String, Line> lines = new LinkedHashMap<>();
    @GuardedBy("this") private long bytes;
    @GuardedBy("this") private int size;
    @GuardedBy("this") private long seq;
    @GuardedBy("this") private long dropped; // in all
    @GuardedBy("this") private long unreported; // dropped since a delivery last said so
    @GuardedBy("this") private int busy;

    public Queue(long maxBytes) {
        this.maxBytes = maxBytes;
    }

    @Override
    public void start(ScheduledExecutorService thread, Runnable wake) {
        // nothing to fetch: events are here as soon as they are added
    }

    /** Queues an event at the back of its line; the oldest waiting ones go if the bound is passed. */
    @Override
    public synchronized void add(Event event) {
        lines.computeIfAbsent(event.key(), k -> new Line()).events.addLast(new Queued(event, ++seq));
        bytes += event.bytes();
        size++;
        while (bytes > maxBytes && dropOldest()) {
            dropped++;
            unreported++;
        }
    }

    /** The oldest event not in flight: a line's head, or the one after a head in flight. */
    @GuardedBy("this")
    private boolean dropOldest() {
        Line oldestLine = null;
        Queued oldest = null;
        for (Line line : lines.values()) {
            Iterator<Queued> it = line.events.iterator();
            if (line.inFlight != null && it.hasNext()) it.next();
            if (!it.hasNext()) continue;
            Queued candidate = it.next();
            if (oldest == null || candidate.seq() < oldest.seq()) {
                oldest = candidate;
                oldestLine = line;
            }
        }
        if (oldest == null) return false;
        boolean head = oldestLine.events.peekFirst() == oldest;
        oldestLine.events.remove(oldest);
        if (head) {
            oldestLine.attempts = 0; // a head being retried went: the next starts afresh
            oldestLine.notBefore = 0;
        }
        bytes -= oldest.event().bytes();
        size--;
        lines.values().removeIf(line -> line.events.isEmpty() && line.inFlight == null);
        return true;
    }

    @Override
    public synchronized List<Delivery> take(long now, int max) {
        List<Delivery> due = new ArrayList<>();
        for (Map.Entry<String, Line> entry : lines.entrySet()) {
            if (busy >= max) break;
            Line line = entry.getValue();
            if (line.inFlight != null || line.events.isEmpty() || line.notBefore > now) continue;
            line.inFlight = new Delivery(entry.getKey(), line.events.peekFirst().event(), line.attempts);
            busy++;
            due.add(line.inFlight);
        }
        return due;
    }

    @Override
    public synchronized long nextDue() {
        long next = Long.MAX_VALUE;
        for (Line line : lines.values()) if (line.inFlight == null && !line.events.isEmpty()) next = Math.min(next, line.notBefore);
        return next;
    }

    /** The head of a line was delivered (or given up): the next may go. */
    @Override
    public synchronized void done(Delivery delivery, long reported) {
        unreported = Math.max(0, unreported - reported);
        Line line = lines.get(delivery.key());
        if (line == null || line.inFlight != delivery) return; // cleared meanwhile
        line.inFlight = null;
        busy--;
        line.attempts = 0;
        line.notBefore = 0;
        Queued head = line.events.peekFirst();
        if (head != null && head.event() == delivery.event()) {
            line.events.pollFirst();
            bytes -= head.event().bytes();
            size--;
        }
        if (line.events.isEmpty()) lines.remove(delivery.key());
    }

    @Override
    public synchronized void failed(Delivery delivery, long retryAt) {
        Line line = lines.get(delivery.key());
        if (line == null || line.inFlight != delivery) return; // cleared meanwhile
        line.inFlight = null;
        busy--;
        if (line.events.peekFirst() == null || line.events.peekFirst().event() != delivery.event()) return; // dropped meanwhile
        line.attempts++;
        line.notBefore = retryAt;
    }

    @Override
    public synchronized long unreported() {
        return unreported;
    }

    @Override
    public synchronized long dropped() {
        return dropped;
    }

    @Override
    public synchronized long size() {
        return size;
    }

    @Override
    public synchronized long bytes() {
        return bytes;
    }

    @Override
    public String mode() {
        return "memory: this instance delivers what it saw; what waits is lost with the process";
    }

    /** Forgets every event, in flight or not (not counted as dropped: another instance now delivers them). */
    public synchronized void clear() {
        lines.clear();
        bytes = 0;
        size = 0;
        busy = 0;
    }
}
