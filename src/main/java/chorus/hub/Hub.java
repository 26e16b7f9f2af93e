package chorus.hub;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;
import org.eclipse.jetty.websocket.core.CoreSession;

/**
 * Owns the set of connections and fans each message out to all of them.
 *
 * <p>Broadcasts are serialized on the hub, so every client sees messages in the order the server
 * received them. A broadcast encodes its text once and offers the same bytes to every client's
 * bounded queue; offering never blocks, so a slow client costs nobody else anything.
 */
public final class Hub {
    private final int queueMessages;
    private final long queueBytes;

    // Copy-on-write under the hub lock: a broadcast walks a stable array while clients come and go.
    private volatile Client[] clients = new Client[0];
    private volatile boolean draining;
    private final AtomicLong slowDropped = new AtomicLong();
    private long retiredPeakBytes; // guarded by this

    public Hub(int queueMessages, long queueBytes) {
        this.queueMessages = queueMessages;
        this.queueBytes = queueBytes;
    }

    public Client join(CoreSession session) {
        Client client = new Client(session, queueMessages, queueBytes, this::dropSlow);
        synchronized (this) {
            Client[] next = Arrays.copyOf(clients, clients.length + 1);
            next[clients.length] = client;
            clients = next;
        }
        return client;
    }

    private void dropSlow(Client client) {
        slowDropped.incrementAndGet();
        leave(client);
    }

    public void leave(Client client) {
        client.release();
        synchronized (this) {
            Client[] current = clients;
            for (int i = 0; i < current.length; i++) {
                if (current[i] == client) {
                    Client[] next = Arrays.copyOf(current, current.length - 1);
                    System.arraycopy(current, i + 1, next, i, current.length - i - 1);
                    clients = next;
                    retiredPeakBytes = Math.max(retiredPeakBytes, client.peakBytes());
                    return;
                }
            }
        }
    }

    public void broadcast(String text) {
        ByteBuffer payload = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8)).asReadOnlyBuffer();
        synchronized (this) {
            for (Client client : clients) {
                client.offer(payload);
            }
        }
    }

    /** Stops new connections and closes every open one with 1001, so pages reconnect elsewhere. */
    public void drain() {
        draining = true;
        for (Client client : clients) {
            client.close(CloseCodes.GOING_AWAY, CloseCodes.RESTARTING);
        }
    }

    public boolean isDraining() {
        return draining;
    }

    public int size() {
        return clients.length;
    }

    Client[] clients() {
        return clients;
    }

    public long slowClientsDropped() {
        return slowDropped.get();
    }

    /** Bytes queued or in flight across all clients: the engine's own memory accounting. */
    public long queuedBytes() {
        long sum = 0;
        for (Client client : clients) sum += client.queuedBytes();
        return sum;
    }

    /** The most any one client ever had queued; never above the configured bound. */
    public synchronized long peakClientQueuedBytes() {
        long peak = retiredPeakBytes;
        for (Client client : clients) peak = Math.max(peak, client.peakBytes());
        return peak;
    }
}
