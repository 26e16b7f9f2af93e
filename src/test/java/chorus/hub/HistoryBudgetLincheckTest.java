package chorus.hub;

import chorus.protocol.Pace;
import chorus.protocol.MessageId;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicInteger;
import org.jetbrains.lincheck.datastructures.IntGen;
import org.jetbrains.lincheck.datastructures.StressOptions;
import org.jetbrains.lincheck.datastructures.Operation;
import org.jetbrains.lincheck.datastructures.Param;
import org.jetbrains.lincheck.datastructures.Validate;
import org.junit.jupiter.api.Test;

/**
 * Many parallel runs of senders in two rooms against a history budget
 * of about three messages, so that nearly every message makes someone shed: each sender sees the
 * bound overshot by at most the messages being kept at that moment (one per sender), and at the
 * end what the budget counts is exactly what the rooms hold, nothing released twice or never.
 * Messages are encoded once, up front, so the runs exercise the budget and the rooms' locks.
 */
@Param(name = "room", gen = IntGen.class, conf = "0:1")
public class HistoryBudgetLincheckTest {
    private static final ScheduledExecutorService TIMER = Executors.newSingleThreadScheduledExecutor(); // never used: no members
    private static final int PER_ROOM = 16;
    private static final Message[][] MESSAGES = new Message[2][PER_ROOM];
    private static final long COST;
    private static final int SENDERS = 2;

    static {
        long cost = 0;
        for (int room = 0; room < 2; room++) {
            for (int i = 0; i < PER_ROOM; i++) {
                MESSAGES[room][i] = Message.of(new MessageId(1, i + 1), "r" + room, new Draft("a", null, null, "x", null, null), 0);
                cost = Math.max(cost, MESSAGES[room][i].cost());
            }
        }
        COST = cost;
    }

    private static final long LIMIT = 3 * COST;

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final Hub hub = new Hub(new MemoryBackend(), 100, LIMIT, new Pace(16_384, 20, 40, 100, 200), 5_000, 1_000, TIMER, Activity.NONE, registry);
    private final Room[] rooms = {hub.loaded("r0").toCompletableFuture().join(), hub.loaded("r1").toCompletableFuture().join()};
    private final AtomicInteger[] sent = {new AtomicInteger(), new AtomicInteger()};

    /** One message into the room (one a racing sender overtook is skipped, as Redis ordering would). */
    @Operation
    public boolean send(@Param(name = "room") int room) {
        rooms[room].deliver(MESSAGES[room][sent[room].getAndIncrement()]);
        return held() <= LIMIT + SENDERS * COST;
    }

    private long held() {
        return (long) registry.get("chorus.history.bytes").gauge().value();
    }

    @Validate
    public void theBudgetCountsWhatTheRoomsHold() {
        long kept = 0;
        for (Room room : rooms) {
            for (Message m : room.replay(null, Integer.MAX_VALUE).messages()) kept += m.cost();
        }
        if (kept != held()) throw new IllegalStateException("the budget counts " + held() + " bytes; the rooms hold " + kept);
    }

    @Test
    void theBoundHoldsAndEveryByteIsCountedOnce() {
        // Stress, not model checking: exploring each interleaving of a delivery (metrics and all)
        // step by step took minutes; in parallel runs the old budget failed within seconds.
        new StressOptions().iterations(2).invocationsPerIteration(2_000).threads(SENDERS).actorsPerThread(3)
                .actorsBefore(1).actorsAfter(0).check(HistoryBudgetLincheckTest.class);
    }
}
