package chorus.hub;

import chorus.protocol.Pace;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import chorus.redis.RedisBackend;
import chorus.tasks.TaskFailures;
import chorus.support.RedisServer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Rooms and the Redis backend, on a real redis-server. */
class RedisFollowTest {
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "chorus-timer")); // as the server names it: presence asserts it
    private RedisServer redis;
    private RedisBackend backend;
    private Rooms shared;

    @BeforeEach
    void start() throws Exception {
        redis = new RedisServer();
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        backend = new RedisBackend(redis.url(), false, 100, 20 << 20, 5_000, new TaskFailures(meters), meters);
        shared = new Rooms(backend, 100, new Pace(16_384, 20, 40, 100, 200), new HistoryBudget(1 << 20, meters), timer, new AtomicInteger(), new EmptyRooms(),
                meters.counter("d"), meters.counter("s"), meters.timer("f"), Activity.NONE);
    }

    @AfterEach
    void stop() throws Exception {
        backend.stop();
        timer.shutdownNow();
        redis.close();
    }

    @Test
    void aRoomMadeAgainWhileItsOldSelfIsUnfollowedStillHearsFromRedis() throws Exception {
        Room old = new Room("again", shared);
        FakeMember gone = new FakeMember("gone", false, null);
        assertTrue(old.join(gone, null));
        Room fresh = new Room("again", shared); // made while the old one is being forgotten
        FakeMember here = new FakeMember("here", false, null);
        assertTrue(fresh.join(here, null));
        for (int i = 0; i < 500 && fresh.members().length == 0; i++) Thread.sleep(10);
        old.leave(gone);
        backend.unfollow(old); // late: the fresh room is already followed under the same key

        backend.publish(fresh, new Draft("ann", null, null, "still heard", null, null));
        for (int i = 0; i < 500 && here.received.isEmpty(); i++) Thread.sleep(10);
        assertEquals(List.of("still heard"), here.received);
    }

    @Test
    void aRoomForgottenWhileItLoadedIsNotFollowed() throws Exception {
        Room old = new Room("slow", shared);
        FakeMember gone = new FakeMember("gone", false, null);
        redis.hang(); // its load waits on Redis
        try {
            old.join(gone, null);
            old.leave(gone);
            assertTrue(old.retireIfEmpty(), "forgotten while its load is in flight");
            backend.unfollow(old); // the hub's unfollow, before the load completes
        } finally {
            redis.wake();
        }
        Thread.sleep(300); // the load completes
        backend.publish(old, new Draft("ann", null, null, "nobody here", null, null)).toCompletableFuture().join();
        Thread.sleep(500); // several reads
        assertEquals(0, old.replay(null, 10).messages().size(), "the forgotten room is still followed");
    }

    /**
     * While Redis hangs, what waits for it is bounded: past 8 000 unanswered publishes a publish
     * is refused at once (the sender hears "unavailable" and may retry) instead of every one of
     * them sitting in the heap, in Lettuce's queue or Netty's buffer, until its timeout.
     */
    @Test
    void whileRedisHangsPublishesPastTheBoundAreRefusedAtOnce() throws Exception {
        Room room = new Room("queued", shared);
        List<java.util.concurrent.CompletableFuture<Published>> sent = new java.util.ArrayList<>();
        redis.hang();
        try {
            for (int i = 0; i < 10_500; i++) {
                sent.add(backend.publish(room, new Draft("ann", null, null, "m" + i, null, null)).toCompletableFuture());
            }
            long refused = sent.stream().filter(java.util.concurrent.CompletableFuture::isCompletedExceptionally).count();
            assertEquals(2_500, refused, "refused at once, of " + sent.size());
        } finally {
            redis.wake();
        }
    }
}
