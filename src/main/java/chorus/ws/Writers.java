package chorus.ws;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The writer threads (one per core), each with its own line of connections waiting for their
 * turn. A connection is given one line when it opens and keeps it, so no two writers ever handle
 * it, and work for a line wakes that line's thread alone. A broadcast only queues frames and puts
 * idle connections in their lines, so no sender writes to a socket; while a connection waits,
 * further frames pile up in its queue and go out with its turn: the busier the room, the bigger
 * the batches.
 */
final class Writers {
    private final Line[] lines;
    private final AtomicInteger assigned = new AtomicInteger();

    Writers(int count) {
        lines = new Line[count];
        for (int i = 0; i < count; i++) {
            lines[i] = new Line();
            lines[i].start("chorus-writer-" + (i + 1));
        }
    }

    /** The line a new connection keeps: the lines in turn, so each holds about as many sockets. */
    Line assign() {
        return lines[Math.floorMod(assigned.getAndIncrement(), lines.length)];
    }

    void stop() {
        for (Line line : lines) line.stop();
    }

    /** One writer thread and the connections waiting for it, taken in order. */
    static final class Line {
        private static final Logger LOG = LoggerFactory.getLogger(Line.class);
        private static final long LINGER_NANOS = 2_000_000;
        private static final double BUSY_SHARE = 0.25;
        private static final long LOAD_WINDOW_NANOS = 50_000_000;
        private final ConcurrentLinkedQueue<Connection> waiting = new ConcurrentLinkedQueue<>();
        private volatile Thread thread; // null for a line whose turns a caller takes (tests)
        private volatile boolean parked;
        private volatile boolean running = true;

        private void start(String name) {
            Thread t = new Thread(this::run, name);
            t.setDaemon(true);
            thread = t;
            t.start();
        }

        void schedule(Connection connection) {
            waiting.add(connection);
            // The writer marks itself parked and then looks at the line once more, so either it
            // sees this connection or this sees it parked.
            if (parked) LockSupport.unpark(thread);
        }

        /** Gives the first connection in line its turn; false when the line is empty. */
        boolean writeNext() {
            Connection next = waiting.poll();
            if (next == null) return false;
            try {
                next.write();
            } catch (RuntimeException e) { // a thrown write must not end the thread
                LOG.warn("write failed", e);
            }
            return true;
        }

        /**
         * Rounds: the writer writes every connection in line, then waits for more. Under load it
         * waits {@link #LINGER_NANOS} more before the next round, so the messages of those
         * milliseconds go to each socket in one write rather than one write each: a write is a
         * system call, and at hundreds of thousands of deliveries a second they were most of the
         * CPU. A writer busy less than {@link #BUSY_SHARE} of the time never lingers: a quiet
         * room's message goes at once.
         */
        private void run() {
            long windowStart = System.nanoTime();
            long busy = 0;
            long linger = 0;
            while (running) {
                long start = System.nanoTime();
                while (writeNext()) {
                    // until the line is empty
                }
                long end = System.nanoTime();
                busy += end - start;
                if (end - windowStart >= LOAD_WINDOW_NANOS) {
                    linger = busy > BUSY_SHARE * (end - windowStart) ? LINGER_NANOS : 0;
                    windowStart = end;
                    busy = 0;
                }
                parked = true;
                if (waiting.isEmpty() && running) LockSupport.park(this);
                parked = false;
                if (linger > 0 && running) LockSupport.parkNanos(linger); // this round's frames gather meanwhile
            }
        }

        private void stop() {
            running = false;
            Thread t = thread;
            if (t != null) LockSupport.unpark(t);
        }
    }
}
