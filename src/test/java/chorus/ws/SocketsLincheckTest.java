package chorus.ws;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import kotlin.Unit;
import org.jetbrains.kotlinx.lincheck.Actor;
import org.jetbrains.lincheck.datastructures.DSLThreadScenario;
import org.jetbrains.lincheck.datastructures.ModelCheckingOptions;
import org.jetbrains.lincheck.datastructures.Operation;
import org.jetbrains.lincheck.datastructures.Param;
import org.jetbrains.lincheck.datastructures.IntGen;
import org.junit.jupiter.api.Test;

/**
 * Every interleaving (up to Lincheck's bounds) of upgrades taking places (two in all, one per
 * address) and of sockets giving theirs back: each answer (a place, 503 full, 429 too many from
 * the address) is one some order of the same calls would have given, so no client is refused for
 * a place that was never taken or already given back. The leases taken wait in a queue, oldest
 * first, for an {@code end} to give one back; LifecycleTest and AbuseTest count places given back
 * on the real server.
 */
@Param(name = "address", gen = IntGen.class, conf = "0:2")
public class SocketsLincheckTest {
    private final Sockets sockets = new Sockets(2, new Addresses(1, 100, 100, 100), new SimpleMeterRegistry());
    private final ConcurrentLinkedQueue<Sockets.Lease> held = new ConcurrentLinkedQueue<>();

    /** An upgrade that takes a place and keeps it. */
    @Operation
    public int reserve(@Param(name = "address") int address) {
        try {
            held.add(sockets.reserve("192.0.2." + address));
            return 101;
        } catch (Sockets.Refused refused) {
            return refused.status;
        }
    }

    /** A socket ends (closed, or its upgrade failed): the oldest place held is given back. */
    @Operation
    public boolean end() {
        Sockets.Lease lease = held.poll();
        if (lease == null) return false;
        lease.end();
        return true;
    }

    @Test
    void everyAnswerIsOneSomeOrderWouldGive() {
        new ModelCheckingOptions()
                // One socket from .0 open; then .0 again (429) while .1 asks for the last place.
                .addCustomScenario(scenario -> {
                    scenario.initial(t -> actors(t, "reserve", 0));
                    scenario.parallel(threads -> {
                        threads.thread(t -> actors(t, "reserve", 0));
                        threads.thread(t -> actors(t, "reserve", 1));
                        return Unit.INSTANCE;
                    });
                    return Unit.INSTANCE;
                })
                // Full (.0 and .1 each hold one); .0's socket ends while .1 asks twice for a place.
                .addCustomScenario(scenario -> {
                    scenario.initial(t -> {
                        actors(t, "reserve", 0);
                        return actors(t, "reserve", 1);
                    });
                    scenario.parallel(threads -> {
                        threads.thread(t -> {
                            try {
                                t.add(new Actor(SocketsLincheckTest.class.getMethod("end"), List.of(), false, false, false, false, false));
                            } catch (NoSuchMethodException e) {
                                throw new AssertionError(e);
                            }
                            return Unit.INSTANCE;
                        });
                        threads.thread(t -> {
                            actors(t, "reserve", 1);
                            return actors(t, "reserve", 0);
                        });
                        return Unit.INSTANCE;
                    });
                    return Unit.INSTANCE;
                })
                .iterations(2).invocationsPerIteration(500).threads(2).actorsPerThread(2).actorsBefore(1).actorsAfter(1)
                .check(SocketsLincheckTest.class);
    }

    private static Unit actors(DSLThreadScenario thread, String operation, int address) {
        try {
            thread.add(new Actor(SocketsLincheckTest.class.getMethod(operation, int.class), List.of(address), false, false,
                    false, false, false));
        } catch (NoSuchMethodException e) {
            throw new AssertionError(e);
        }
        return Unit.INSTANCE;
    }
}
