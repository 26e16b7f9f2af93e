package chorus.hub;

import chorus.protocol.Shown;
import chorus.protocol.Pace;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import chorus.protocol.MessageId;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.ToIntFunction;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The backend follows a room from its first join until the hub forgets it, once: a room that
 * retires while someone is joining it is forgotten by whichever thread takes it out of the hub,
 * and that thread also stops the backend following it.
 */
class RetiredRoomTest {
    /** The in-memory backend, noting which rooms it follows. */
    private static final class Following implements Backend {
        final MemoryBackend backend = new MemoryBackend();
        final Set<Room> followed = ConcurrentHashMap.newKeySet();

        @Override
        public MessageId origin() {
            return backend.origin();
        }

        @Override
        public CompletionStage<Published> publish(Room room, Draft draft) {
            return backend.publish(room, draft);
        }

        @Override
        public void ahead(Room room, MessageId since) {
        }

        @Override
        public void follow(Room room) {
            followed.add(room);
            backend.follow(room);
        }

        @Override
        public void unfollow(Room room) {
            followed.remove(room);
            backend.unfollow(room);
        }

        @Override
        public void presence(Room room, List<Shown> localNames) {
            backend.presence(room, localNames);
        }

        @Override
        public void ephemeral(Room room, java.nio.ByteBuffer frame) {
            backend.ephemeral(room, frame);
        }

        @Override
        public CompletionStage<Void> deleteHistory(String room) {
            return backend.deleteHistory(room);
        }

        @Override
        public CompletionStage<Map<String, Integer>> remoteRooms() {
            return backend.remoteRooms();
        }

        @Override
        public CompletionStage<Integer> order(Order order) {
            return backend.order(order);
        }

        @Override
        public void onOrder(ToIntFunction<Order> handler) {
            backend.onOrder(handler);
        }

        @Override
        public String problem() {
            return backend.problem();
        }

        @Override
        public void stop() {
            backend.stop();
        }
    }

    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "chorus-timer")); // as the server names it: presence asserts it

    @AfterEach
    void stop() {
        timer.shutdownNow();
    }

    @Test
    void aRoomThatRetiresAsSomeoneJoinsIsNoLongerFollowed() throws Exception {
        Following backend = new Following();
        Hub hub = new Hub(backend, 100, 1 << 20, new Pace(16_384, 20, 40, 100, 200), 100, 1_000, timer, Activity.NONE, new SimpleMeterRegistry());
        FakeMember first = new FakeMember("first", false, null);
        Room old = Joins.join(hub, first, "r", null);
        hub.leave(old, first);
        // Another thread forgetting idle rooms has retired it, and has not yet taken it out.
        assertTrue(old.retireIfEmpty());

        FakeMember next = new FakeMember("next", false, null);
        Room fresh = Joins.join(hub, next, "r", null);
        assertNotSame(old, fresh);
        assertEquals(Set.of(fresh), backend.followed, "the retired room is still followed");
    }
}
