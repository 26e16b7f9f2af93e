package chorus.tasks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class TaskFailuresTest {
    @Test
    void aRepeatingTaskThatThrowsKeepsRepeatingAndEveryFailureIsCounted() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        ScheduledThreadPoolExecutor thread = new TaskFailures(registry).thread("test-thread", "sweep");
        try {
            AtomicInteger runs = new AtomicInteger();
            CountDownLatch fiveRuns = new CountDownLatch(5);
            thread.scheduleWithFixedDelay(() -> {
                fiveRuns.countDown();
                if (runs.incrementAndGet() <= 2) throw new IllegalStateException("boom " + runs.get());
            }, 0, 5, TimeUnit.MILLISECONDS);
            thread.execute(() -> {
                throw new IllegalArgumentException("a one-off");
            });
            assertTrue(fiveRuns.await(5, TimeUnit.SECONDS), "the task stopped repeating after it threw");
            assertEquals(3.0, registry.get("chorus.task.failures").tag("task", "sweep").counter().count());
        } finally {
            thread.shutdownNow();
        }
    }
}
