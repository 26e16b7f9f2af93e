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

        private void run() {
            while (running) {
                if (writeNext()) continue;
                parked = true;
                if (waiting.isEmpty() && running) LockSupport.park(this);
                parked = false;
            }
        }

        private void stop() {
            running = false;
            Thread t = thread;
            if (t != null) LockSupport.unpark(t);
        }
    }
}
