package chorus.hub;

import chorus.protocol.Pace;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The hub with members that have no socket: who takes which lock, who acts after, and which empty rooms it forgets. */
class RoomLocksTest {
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "chorus-timer")); // as the server names it: presence asserts it
    private static final int IDLE_ROOMS = 1_000;
    private final Hub hub = new Hub(new MemoryBackend(), 100, 1 << 20, new Pace(16_384, 20, 40, 100, 200), 5_000, IDLE_ROOMS, timer, Activity.NONE, new SimpleMeterRegistry());

    @AfterEach
    void stop() {
        timer.shutdownNow();
    }

    @Test
    void twoRoomsDroppingSlowMembersWhileIdleRoomsAreForgottenNeverDeadlock() {
        // Past the idle-room limit, every leave forgets the room that went empty longest ago.
        for (int i = 0; i < IDLE_ROOMS + 50; i++) {
            FakeMember m = new FakeMember("idle" + i, false, null);
            hub.leave(Joins.join(hub, m, "idle-" + i, null), m);
        }
        FakeMember readerA = new FakeMember("readerA", false, null);
        FakeMember readerB = new FakeMember("readerB", false, null);
        Room a = Joins.join(hub, readerA, "a", null);
        Room b = Joins.join(hub, readerB, "b", null);
        int rounds = 2000;
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
            List<CompletableFuture<Void>> work = new ArrayList<>();
            for (String roomName : List.of("a", "b")) {
                Room room = roomName.equals("a") ? a : b;
                work.add(CompletableFuture.runAsync(() -> {
                    for (int i = 0; i < rounds; i++) {
                        // A slow member whose close, like Jetty's, leaves the hub from the settle.
                        Joins.join(hub, new FakeMember("slow" + i, true, m -> hub.leave(room, m)), roomName, null);
                        // And an idle room that empties, so the leave forgets another room.
                        FakeMember passer = new FakeMember("p" + i, false, null);
                        hub.leave(Joins.join(hub, passer, roomName + "-idle-" + i, null), passer);
                        hub.publish(room, new Draft("x", null, null, roomName + i, null, null));
                    }
                }));
            }
            CompletableFuture.allOf(work.toArray(CompletableFuture[]::new)).join();
        }, "deadlocked");
        assertEquals(rounds, readerA.received.size(), "every message reached the healthy member of a");
        assertEquals(rounds, readerB.received.size(), "every message reached the healthy member of b");
        assertEquals(2, hub.size(), "only the two healthy members remain");
        assertEquals(2L * rounds, hub.slowClientsDropped());
    }

    @Test
    void aRoomThatEmptiesAgainAndAgainCountsOnceAndEvictsNobody() throws Exception {
        FakeMember writer = new FakeMember("w", false, null);
        Room kept = Joins.join(hub, writer, "kept", null);
        hub.publish(kept, new Draft("w", null, null, "worth keeping", null, null)).toCompletableFuture().join();
        hub.leave(kept, writer);
        for (int i = 0; i < IDLE_ROOMS + 500; i++) {
            FakeMember passer = new FakeMember("p" + i, false, null);
            hub.leave(Joins.join(hub, passer, "busy", null), passer);
        }
        Room again = hub.loaded("kept").toCompletableFuture().join();
        assertEquals(1, again.replay(null, 10).messages().size(), "the kept room's history was forgotten");
    }
}
