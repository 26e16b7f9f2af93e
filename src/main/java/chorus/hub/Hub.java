package chorus.hub;

import chorus.protocol.MessageId;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import org.eclipse.jetty.websocket.core.CoreSession;

/**
 * Owns the rooms and the connections in them.
 *
 * <p>A broadcast encodes its message once per mode and offers the same bytes to every member's
 * bounded queue; offering never blocks, so a slow client costs nobody else anything. Rooms are
 * made on first use; an empty room keeps its history until more than {@link #MAX_IDLE_ROOMS}
 * rooms sit empty, when the longest-idle ones are forgotten.
 */
public final class Hub {
    static final int MAX_IDLE_ROOMS = 1000;

    private final int queueMessages;
    private final long queueBytes;
    private final Flusher flusher = new Flusher(Runtime.getRuntime().availableProcessors());
    private final Rooms shared;
    private final Counter received;

    private final Map<String, Room> rooms = new ConcurrentHashMap<>();
    private final ConcurrentLinkedQueue<Room> idle = new ConcurrentLinkedQueue<>();
    private final AtomicInteger idleCount = new AtomicInteger();
    private final AtomicInteger connections = new AtomicInteger();
    private final AtomicLong slowDropped = new AtomicLong();
    private final AtomicLong retiredPeakBytes = new AtomicLong();
    private volatile boolean draining;

    public Hub(Backend backend, int queueMessages, long queueBytes, int historySize,
            ScheduledExecutorService timer, MeterRegistry registry) {
        this.queueMessages = queueMessages;
        this.queueBytes = queueBytes;
        this.received = Counter.builder("chorus.messages.received").description("messages accepted and broadcast")
                .register(registry);
        this.shared = new Rooms(backend, historySize, timer, flusher,
                Counter.builder("chorus.messages.delivered").description("messages queued to a recipient")
                        .register(registry),
                Timer.builder("chorus.broadcast.latency")
                        .description("time to queue one message to every member of its room on this instance")
                        .publishPercentileHistogram().register(registry));
        Gauge.builder("chorus.connections", this, Hub::size).description("open sockets").register(registry);
        Gauge.builder("chorus.outbound.queue.bytes", this, Hub::queuedBytes)
                .description("bytes queued or in flight to clients").register(registry);
        FunctionCounter.builder("chorus.slow.clients.dropped", this, Hub::slowClientsDropped)
                .description("clients closed as too slow").register(registry);
    }

    /** Joins a room, queueing the welcome and what the client missed since the given id. */
    public Client join(CoreSession session, String roomName, String name, boolean json, MessageId since) {
        Client client = new Client(session, roomName, name, json, queueMessages, queueBytes, flusher,
                this::dropSlow);
        while (!rooms.computeIfAbsent(roomName, r -> new Room(r, shared, shared.backend().origin()))
                .join(client, since)) {
            Thread.onSpinWait(); // the room was just retired; the next computeIfAbsent makes a new one
        }
        connections.incrementAndGet(); // counted once a member: /health then means "receiving"
        return client;
    }

    /** Publishes through the backend; onUnavailable runs if it could not take the message. */
    public void publish(Client from, String text, Runnable onUnavailable) {
        Room room = rooms.get(from.room());
        if (room == null) return;
        received.increment();
        shared.backend().publish(room, from.name(), text, failure -> onUnavailable.run());
    }

    /** False while the backend cannot take messages: /health then says degraded. */
    public boolean backendAvailable() {
        return shared.backend().available();
    }

    public void rename(Client client, String name) {
        client.rename(name);
        Room room = rooms.get(client.room());
        if (room != null) room.presenceChanged();
    }

    private void dropSlow(Client client) {
        slowDropped.incrementAndGet();
        leave(client);
    }

    /** Forgets a client; safe to call more than once. */
    public void leave(Client client) {
        client.release();
        Room room = rooms.get(client.room());
        if (room == null || !room.leave(client)) return;
        connections.decrementAndGet();
        retiredPeakBytes.accumulateAndGet(client.peakBytes(), Math::max);
        if (room.isEmpty()) {
            idle.add(room);
            if (idleCount.incrementAndGet() > MAX_IDLE_ROOMS) forgetIdleRoom();
        }
    }

    private void forgetIdleRoom() {
        Room oldest = idle.poll();
        if (oldest == null) return;
        idleCount.decrementAndGet();
        // A room joined again since it went idle is busy, not forgotten; its entry just goes.
        if (oldest.retireIfEmpty() && rooms.remove(oldest.name(), oldest)) shared.backend().unfollow(oldest);
    }

    /** Stops new connections and closes every open one with 1001, so pages reconnect elsewhere. */
    public void drain() {
        draining = true;
        for (Client client : clients()) client.close(CloseCodes.GOING_AWAY, CloseCodes.RESTARTING);
    }

    /** After the last socket closed: the writer threads and the backend go. */
    public void stop() {
        flusher.stop();
        shared.backend().stop();
    }

    public boolean isDraining() {
        return draining;
    }

    public int size() {
        return connections.get();
    }

    List<Client> clients() {
        List<Client> all = new ArrayList<>();
        for (Room room : rooms.values()) all.addAll(List.of(room.members()));
        return all;
    }

    public long slowClientsDropped() {
        return slowDropped.get();
    }

    /** Bytes queued or in flight across all clients: the engine's own memory accounting. */
    public long queuedBytes() {
        long sum = 0;
        for (Client client : clients()) sum += client.queuedBytes();
        return sum;
    }

    /** The most any one client ever had queued; never above the configured bound. */
    public long peakClientQueuedBytes() {
        long peak = retiredPeakBytes.get();
        for (Client client : clients()) peak = Math.max(peak, client.peakBytes());
        return peak;
    }
}
