package chorus.hub;

import chorus.protocol.MessageId;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * One process, no dependencies. Ids are "{epoch}-{count}": the epoch is when this room began in
 * this process (milliseconds, never repeated), so ids keep increasing across a restart or a room
 * forgotten and begun again, and a since from before is recognised. The room numbers its own
 * messages, in arrival order.
 */
public final class MemoryBackend implements Backend {
    private final AtomicLong lastEpoch = new AtomicLong();

    @Override
    public MessageId origin() {
        long now = System.currentTimeMillis();
        return new MessageId(lastEpoch.updateAndGet(last -> Math.max(now, last + 1)), 0);
    }

    @Override
    public void publish(Room room, String from, String text, Consumer<Throwable> onFailure) {
        room.append(from, text);
    }

    @Override
    public void follow(Room room) {
        room.load(List.of(), null);
    }

    @Override
    public void unfollow(Room room) {
    }

    @Override
    public void presence(Room room, List<String> localNames) {
    }

    @Override
    public boolean available() {
        return true;
    }

    @Override
    public void stop() {
    }
}
