package chorus.tasks;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Background work that survives its own failure. A {@link ScheduledThreadPoolExecutor} silently
 * cancels a repeating task whose run threw, and a one-off task's exception vanishes into a future
 * nobody reads; here every failure is counted ({@code chorus_task_failures_total{task}}), the
 * first of each task is logged with its stack, and the task goes on (Netty's event loop does the same).
 */
public final class TaskFailures {
    private static final Logger LOG = LoggerFactory.getLogger(TaskFailures.class);
    private final MeterRegistry registry;
    private final Set<String> logged = ConcurrentHashMap.newKeySet();

    public TaskFailures(MeterRegistry registry) {
        this.registry = registry;
    }

    /** Counts a failure of this task; the first one of each task is logged. */
    public void failed(String task, Throwable failure) {
        Counter.builder("chorus.task.failures").tag("task", task)
                .description("background tasks and callbacks that threw (the task went on)").register(registry).increment();
        if (logged.add(task)) {
            LOG.error("background task '{}' failed and goes on; later failures are only counted", task, failure);
        }
    }

    /** The body, with its failures counted instead of thrown. */
    public Runnable guard(String task, Runnable body) {
        return () -> {
            try {
                body.run();
            } catch (Throwable failure) { // an Error too: a repeating task must keep repeating
                failed(task, failure);
            }
        };
    }

    /** One daemon thread whose every task (one-off or repeating) is guarded under the task's name. */
    public ScheduledThreadPoolExecutor thread(String threadName, String task) {
        return new Guarded(threadName, task);
    }

    private final class Guarded extends ScheduledThreadPoolExecutor {
        private final String task;

        Guarded(String threadName, String task) {
            super(1, r -> {
                Thread t = new Thread(r, threadName);
                t.setDaemon(true);
                return t;
            });
            this.task = task;
        }

        // execute() and submit() come through schedule(), so each task is wrapped once.
        @Override
        public ScheduledFuture<?> schedule(Runnable command, long delay, TimeUnit unit) {
            return super.schedule(guard(task, command), delay, unit);
        }

        @Override
        public ScheduledFuture<?> scheduleAtFixedRate(Runnable command, long initialDelay, long period,
                TimeUnit unit) {
            return super.scheduleAtFixedRate(guard(task, command), initialDelay, period, unit);
        }

        @Override
        public ScheduledFuture<?> scheduleWithFixedDelay(Runnable command, long initialDelay, long delay,
                TimeUnit unit) {
            return super.scheduleWithFixedDelay(guard(task, command), initialDelay, delay, unit);
        }
    }
}
