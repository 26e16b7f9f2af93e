package chorus.ws;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The writer threads (one per core): a line of connections waiting for their turn, taken in
 * order. A broadcast only queues frames and puts idle connections in this line, so no sender
 * writes to a socket. While a connection waits here, further frames pile up in its queue and go
 * out with its turn: the busier the room, the bigger the batches.
 */
final class Writers {
    private static final Logger LOG = LoggerFactory.getLogger(Writers.class);
    private final ConcurrentLinkedQueue<Connection> line = new ConcurrentLinkedQueue<>();
    private final Thread[] threads;
    private final AtomicInteger sleeping = new AtomicInteger();
    private volatile boolean running = true;

    Writers(int count) {
        threads = new Thread[count];
        for (int i = 0; i < count; i++) {
            threads[i] = new Thread(this::run, "chorus-writer-" + (i + 1));
            threads[i].setDaemon(true);
            threads[i].start();
        }
    }

    void schedule(Connection connection) {
        line.add(connection);
        if (sleeping.get() > 0) {
            for (Thread thread : threads) LockSupport.unpark(thread);
        }
    }

    /** Gives the first connection in line its turn; false when the line is empty. */
    boolean writeNext() {
        Connection next = line.poll();
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
            sleeping.incrementAndGet();
            if (line.isEmpty() && running) LockSupport.park(this); // schedule() unparks after adding
            sleeping.decrementAndGet();
        }
    }

    void stop() {
        running = false;
        for (Thread thread : threads) LockSupport.unpark(thread);
    }
}
