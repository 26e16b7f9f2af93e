package chorus.hub;

import chorus.protocol.Pace;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The history budget sheds while senders keep every room moving. */
class HistoryBudgetTest {
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "chorus-timer")); // as the server names it: presence asserts it
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final Hub hub = new Hub(new MemoryBackend(), 100, 64 * 1024, new Pace(16_384, 20, 40, 100, 200), 5_000, 1_000, timer, Activity.NONE, registry);

    @AfterEach
    void stop() {
        timer.shutdownNow();
    }

    @Test
    void sendersMovingRoomsWhileTheBudgetSortsThemBreakNothing() throws Exception {
        int rooms = 300;
        List<Room> all = new ArrayList<>();
        for (int i = 0; i < rooms; i++) all.add(Joins.join(hub, new FakeMember("m" + i, false, null), "r" + i, null));
        String text = "x".repeat(1024);
        ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
        List<Thread> senders = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            Thread sender = new Thread(() -> {
                ThreadLocalRandom random = ThreadLocalRandom.current();
                for (int i = 0; i < 20_000 && failures.isEmpty(); i++) {
                    try {
                        hub.publish(all.get(random.nextInt(rooms)), new Draft("x", null, null, text, null, null))
                                .toCompletableFuture().join();
                    } catch (RuntimeException e) {
                        failures.add(e);
                    }
                }
            });
            senders.add(sender);
            sender.start();
        }
        for (Thread sender : senders) sender.join();
        assertEquals(List.of(), List.copyOf(failures), "a publish threw");
        double held = registry.get("chorus.history.bytes").gauge().value();
        assertTrue(held <= 64 * 1024 + 4 * 8 * 1024, "history holds " + held + " bytes");
    }
}
