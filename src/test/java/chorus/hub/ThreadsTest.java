package chorus.hub;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import chorus.protocol.Pace;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Entry points assert their thread (tasks.Threads), and in the tests the assertions are on: a wrong thread trips one. */
class ThreadsTest {
    private static boolean presenceArrives(String timerName) throws Exception {
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, timerName));
        try {
            Hub hub = new Hub(new MemoryBackend(), 100, 1 << 20, new Pace(16_384, 20, 40, 100, 200), 5_000, 1_000, timer, Activity.NONE,
                    new SimpleMeterRegistry());
            FakeMember ann = FakeMember.json("ann");
            Joins.join(hub, ann, "threads", null);
            // A presence round is 100 ms away on this single-thread timer: a task due after it runs after it,
            // however late a loaded machine runs both.
            timer.schedule(() -> { }, 400, TimeUnit.MILLISECONDS).get(30, TimeUnit.SECONDS);
            return ann.received.stream().anyMatch(frame -> frame.startsWith("{\"type\":\"presence\""));
        } finally {
            timer.shutdownNow();
        }
    }

    @Test
    void presenceRunsOnTheTimerAndOnNoOtherThread() throws Exception {
        assertTrue(presenceArrives("chorus-timer"));
        assertFalse(presenceArrives("some-other-thread"), "the assertion did not trip");
    }
}
