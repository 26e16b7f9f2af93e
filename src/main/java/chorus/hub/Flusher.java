package chorus.hub;

import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs the clients' writes on a few threads of their own, so a broadcast only queues and never
 * writes inline. While a client waits here or writes, further messages pile up in its queue and
 * later go out together in one gathering write: the busier the room, the bigger the batches.
 */
final class Flusher {
    /** Clients per task: few large tasks hand off less than one task per client. */
    private static final int SLICE = 64;

    private final int threads;
    private final ExecutorService pool;

    Flusher(int threads) {
        this.threads = threads;
        AtomicInteger n = new AtomicInteger();
        this.pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "chorus-writer-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    void flush(Client client) {
        pool.execute(client);
    }

    /** Flushes clients that became ready, spread over the writer threads. */
    void flush(List<Client> ready) {
        int n = ready.size();
        if (n == 0) return;
        int slices = Math.min(threads, (n + SLICE - 1) / SLICE);
        int per = (n + slices - 1) / slices;
        for (int from = 0; from < n; from += per) {
            List<Client> slice = ready.subList(from, Math.min(n, from + per));
            pool.execute(() -> slice.forEach(Client::run));
        }
    }

    void stop() {
        pool.shutdownNow();
    }
}
