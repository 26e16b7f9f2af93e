package chorus.hub;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Which empty rooms the hub forgets past its limit: the longest empty, each counted once. */
class IdleRoomsTest {
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
    private final Hub hub = new Hub(new MemoryBackend(), 100, 1 << 20, 16_384, timer, new SimpleMeterRegistry());

    @AfterEach
    void stop() {
        timer.shutdownNow();
    }

    @Test
    void aRoomThatEmptiesAgainAndAgainCountsOnceAndEvictsNobody() throws Exception {
        FakeMember writer = new FakeMember("w", false, null);
        Room kept = hub.join(writer, "kept", null);
        hub.publish(kept, new Draft("w", null, "worth keeping", null, null)).toCompletableFuture().join();
        hub.leave(kept, writer);
        for (int i = 0; i < Hub.MAX_IDLE_ROOMS + 500; i++) {
            FakeMember passer = new FakeMember("p" + i, false, null);
            hub.leave(hub.join(passer, "busy", null), passer);
        }
        Room again = hub.loaded("kept").toCompletableFuture().join();
        assertEquals(1, again.replay(null, 10).messages().size(), "the kept room's history was forgotten");
    }
}
