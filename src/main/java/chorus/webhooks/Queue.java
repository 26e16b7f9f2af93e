package chorus.webhooks;

import chorus.protocol.MessageId;
import com.google.errorprone.annotations.concurrent.GuardedBy;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ScheduledExecutorService;

/**
 * Events waiting for delivery, in memory: a line per key (a room, a person), delivered in order,
 * the head of a line delivered (or retried) before the next; every line within one byte bound,
 * past which the oldest event not in flight is dropped and counted. One lock, held briefly, and
 * no I/O under it. With Redis, the events an instance delivers wait here once read from the
 * shared stream.
 *
 * <p>A room's messages are put in line by their offset, not by when they were queued: sent from
 * two sockets (or two instances) at once, the second may be queued first. One whose offset is
 * past the next waits for the ones before it, up to {@link #GAP_MS}; then it goes anyway (the
 * missing one's instance died before queueing it).
 */
public final class Queue implements Outbox {
    static final long GAP_MS = 2_000;
    private static final int MAX_ROOMS_REMEMBERED = 10_000; // the last message let into line, per room: a room forgotten starts afresh

    private record Queued(Event event, long seq) {
    }

    private static final class Line {
        final ArrayDeque<Queued> events = new ArrayDeque<>();
        final TreeMap<Long, Queued> early = new TreeMap<>(); // messages past a gap, by offset
        long earlySince; // when the first of them came (ms)
        Delivery inFlight; // its head, out for delivery
        long notBefore; // when its head may be tried again (ms)
        int attempts; // failed tries of its head
    }

    private final long maxBytes;
    @GuardedBy("this") private final Map<String, Line> lines = new LinkedHashMap<>();
    @GuardedBy("this") private final Map<String, MessageId> lastInLine = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, MessageId> eldest) {
            return size() > MAX_ROOMS_REMEMBERED;
        }
    };
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
        Line line = lines.computeIfAbsent(event.key(), k -> new Line());
        Queued queued = new Queued(event, ++seq);
        bytes += event.bytes();
        size++;
        MessageId id = event.order();
        MessageId last = id == null ? null : lastInLine.get(event.key());
        if (last != null && id.epoch() == last.epoch() && id.seq() > last.seq() + 1) {
            if (line.early.isEmpty()) line.earlySince = System.currentTimeMillis();
            line.early.put(id.seq(), queued);
        } else {
            enter(line, queued); // the next, the first seen, of a new epoch, or late (past the wait): in line now
            while (!line.early.isEmpty() && line.early.firstKey() == lastInLine.get(event.key()).seq() + 1) {
                enter(line, line.early.pollFirstEntry().getValue());
            }
        }
        while (bytes > maxBytes && dropOldest()) {
            dropped++;
            unreported++;
        }
    }

    @GuardedBy("this")
    private void enter(Line line, Queued queued) {
        line.events.addLast(queued);
        MessageId id = queued.event().order();
        if (id != null) lastInLine.merge(queued.event().key(), id, (a, b) -> a.compareTo(b) >= 0 ? a : b);
    }

    /** Messages past a gap that waited long enough go in line, in order: what they waited for is not coming. */
    @GuardedBy("this")
    private void giveUpGaps(long now) {
        for (Line line : lines.values()) {
            if (line.early.isEmpty() || line.earlySince + GAP_MS > now) continue;
            while (!line.early.isEmpty()) enter(line, line.early.pollFirstEntry().getValue());
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
        lines.values().removeIf(line -> line.events.isEmpty() && line.early.isEmpty() && line.inFlight == null);
        return true;
    }

    @Override
    public synchronized List<Delivery> take(long now, int max) {
        giveUpGaps(now);
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
        for (Line line : lines.values()) {
            if (line.inFlight == null && !line.events.isEmpty()) next = Math.min(next, line.notBefore);
            if (!line.early.isEmpty()) next = Math.min(next, line.earlySince + GAP_MS);
        }
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
        if (line.events.isEmpty() && line.early.isEmpty()) lines.remove(delivery.key());
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

    @Override
    public void stop() {
        // what waits is lost with the process (docs/WEBHOOKS.md)
    }

    /** Forgets every event, in flight or not (not counted as dropped: another instance now delivers them). */
    public synchronized void clear() {
        lines.clear();
        lastInLine.clear();
        bytes = 0;
        size = 0;
        busy = 0;
    }
}
