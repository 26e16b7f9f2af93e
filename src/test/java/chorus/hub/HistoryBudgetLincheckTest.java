package chorus.hub;

import chorus.protocol.MessageId;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.jetbrains.lincheck.datastructures.IntGen;
import org.jetbrains.lincheck.datastructures.StressOptions;
import org.jetbrains.lincheck.datastructures.Operation;
import org.jetbrains.lincheck.datastructures.Param;
import org.jetbrains.lincheck.datastructures.Validate;
import org.junit.jupiter.api.Test;

/**
 * Many runs of senders in two rooms, in parallel, against a history budget
 * of about three messages, so that nearly every message makes someone shed: each sender sees the
 * bound overshot by at most the messages being kept at that moment (one per sender), and at the
 * end what the budget counts is exactly what the rooms hold, nothing released twice or never.
 */
@Param(name = "room", gen = IntGen.class, conf = "0:1")
public class HistoryBudgetLincheckTest {
    private static final ScheduledExecutorService TIMER = Executors.newSingleThreadScheduledExecutor(); // never used: no members
    private static final Draft DRAFT = new Draft("a", null, "x", null, null);
    // The most one message here costs: ids are "{epoch ms}-{seq}", and a longer id costs more.
    private static final long COST = Message.of(new MessageId(System.currentTimeMillis(), 99_999), "r0", DRAFT,
            System.currentTimeMillis()).cost();
    private static final long LIMIT = 3 * COST;
    private static final int SENDERS = 2;

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final Hub hub = new Hub(new MemoryBackend(), 100, LIMIT, 16_384, 5_000, TIMER, registry);

    @Operation
    public boolean send(@Param(name = "room") int room) {
        hub.publish("r" + room, DRAFT).toCompletableFuture().join();
        return held() <= LIMIT + SENDERS * COST;
    }

    private long held() {
        return (long) registry.get("chorus.history.bytes").gauge().value();
    }

    @Validate
    public void theBudgetCountsWhatTheRoomsHold() {
        long kept = 0;
        for (int room = 0; room < 2; room++) {
            for (Message m : hub.loaded("r" + room).toCompletableFuture().join().replay(null, Integer.MAX_VALUE).messages()) kept += m.cost();
        }
        if (kept != held()) throw new IllegalStateException("the budget counts " + held() + " bytes; the rooms hold " + kept);
    }

    @Test
    void theBoundHoldsAndEveryByteIsCountedOnce() {
        // Stress, not model checking: every send encodes its frames, and exploring Jackson's
        // loops step by step took minutes per scenario.
        new StressOptions().iterations(10).invocationsPerIteration(1_000).threads(SENDERS).actorsPerThread(3)
                .actorsBefore(1).actorsAfter(0).check(HistoryBudgetLincheckTest.class);
    }
}
