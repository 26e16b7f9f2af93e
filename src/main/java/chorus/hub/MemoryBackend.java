package chorus.hub;

import chorus.protocol.Shown;
import chorus.protocol.MessageId;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.ToIntFunction;

/**
 * One process, no dependencies. Ids are "{epoch}-{count}": the epoch is when this room began in
 * this process (milliseconds, never repeated), so ids keep increasing across a restart or a room
 * forgotten and begun again, and a since from before is recognised. The room numbers its own
 * messages, in arrival order, and its history is the only copy.
 */
public final class MemoryBackend implements Backend {
    private final AtomicLong lastEpoch = new AtomicLong();
    private volatile ToIntFunction<Order> orders = order -> 0;

    @Override
    public MessageId origin() {
        long now = System.currentTimeMillis();
        return new MessageId(lastEpoch.updateAndGet(last -> Math.max(now, last + 1)), 0);
    }

    @Override
    public CompletionStage<Published> publish(Room room, Draft draft) {
        try {
            return CompletableFuture.completedFuture(room.append(draft));
        } catch (RefExpired expired) {
            return CompletableFuture.failedFuture(expired);
        }
    }

    @Override
    public void follow(Room room) {
        room.load(List.of(), null, null);
    }

    @Override
    public void ahead(Room room, MessageId since) {
        // The room is the only copy: a since ahead of it is from an earlier process, whose epoch was older.
    }

    @Override
    public void unfollow(Room room) {
    }

    @Override
    public void presence(Room room, List<Shown> localNames) {
    }

    @Override
    public void ephemeral(Room room, ByteBuffer frame) {
        room.ephemeral(frame);
    }

    @Override
    public CompletionStage<Void> deleteHistory(String room) {
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public CompletionStage<Map<String, Integer>> remoteRooms() {
        return CompletableFuture.completedFuture(Map.of());
    }

    @Override
    public CompletionStage<Integer> order(Order order) {
        return CompletableFuture.completedFuture(orders.applyAsInt(order));
    }

    @Override
    public void onOrder(ToIntFunction<Order> handler) {
        this.orders = handler;
    }

    @Override
    public String problem() {
        return null;
    }

    @Override
    public void stop() {
    }
}
