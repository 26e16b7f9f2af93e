package chorus.ws;


import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jetty.util.Callback;
import kotlin.Unit;
import org.jetbrains.kotlinx.lincheck.Actor;
import org.jetbrains.lincheck.datastructures.DSLScenarioBuilder;
import org.jetbrains.lincheck.datastructures.DSLThreadScenario;
import org.jetbrains.lincheck.datastructures.ModelCheckingOptions;
import org.jetbrains.lincheck.datastructures.Operation;
import org.jetbrains.lincheck.datastructures.Validate;
import org.junit.jupiter.api.Test;

/**
 * Every interleaving (up to Lincheck's bounds) of offers, writer turns and a release on one
 * {@link Connection}, over a socket whose writes complete inside the write call, as Jetty's may:
 * every frame written is one that was offered, whole, and written at most once.
 */
public class ConnectionLincheckTest {
    /** Completes every write at once, on the writing thread. */
    private static final class InlineSocket implements Wire {
        final List<String> written = new ArrayList<>();

        @Override
        public void write(Callback done, ByteBuffer[] frames) {
            synchronized (written) {
                written.addAll(Written.texts(frames));
            }
            done.succeeded();
        }

        @Override
        public void close(int code, String reason) {
        }

        @Override
        public void abort() {
        }
    }

    private static final java.util.concurrent.ScheduledExecutorService TIMER =
            java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "lincheck-timer");
                t.setDaemon(true);
                return t;
            });
    private static final String CLOSE = "close";
    private final InlineSocket socket = new InlineSocket();
    private final Writers.Line line = new Writers.Line(); // no thread: the test's threads take the turns
    private final Connection connection = new Connection(socket, line,
            new OutboundBudget(1 << 30, new SimpleMeterRegistry()),
            TIMER, "n", false, "127.0.0.1", 8, 1 << 20);
    private final AtomicInteger offered = new AtomicInteger();

    @Operation
    public void offer() {
        int n = offered.incrementAndGet();
        connection.send(ByteBuffer.wrap(Integer.toString(n).getBytes(StandardCharsets.US_ASCII)));
    }

    @Operation
    public void turn() {
        line.writeNext();
    }

    @Operation
    public void release() {
        connection.release();
    }

    /** Jetty sends a close frame (QuietClose): it goes after what was queued, and nothing after it. */
    @Operation
    public void jettyCloses() {
        connection.closeAfterQueued(() -> {
            synchronized (socket.written) {
                socket.written.add(CLOSE);
            }
        });
    }

    @Validate
    public void everyFrameWrittenWasOfferedAndWrittenOnce() {
        Set<Integer> seen = new HashSet<>();
        synchronized (socket.written) {
            int close = socket.written.indexOf(CLOSE);
            if (close >= 0) {
                assertTrue(socket.written.subList(close, socket.written.size()).stream().allMatch(CLOSE::equals),
                        "a frame written after the close frame: " + socket.written);
            }
            for (String text : socket.written) {
                if (text.equals(CLOSE)) continue;
                assertFalse(text.isEmpty(), "an empty frame was written in a message's place");
                int n = Integer.parseInt(text);
                assertTrue(n >= 1 && n <= offered.get(), "a frame nobody offered: " + n);
                assertTrue(seen.add(n), "frame " + n + " written twice");
            }
        }
    }

    @Test
    void everyInterleavingWritesWhatWasOffered() {
        new ModelCheckingOptions()
                // Two senders, each also taking a writer's turn: the shape in which a write's completion
                // inside sendFrame hands the next write to the other thread mid-batch.
                .addCustomScenario(twoThreads(List.of("offer", "turn"), List.of("offer", "turn")))
                // A close frame from Jetty while a sender's frame is queued and a writer takes its turn.
                .addCustomScenario(twoThreads(List.of("offer", "turn"), List.of("jettyCloses", "offer")))
                .iterations(2).invocationsPerIteration(1_000).threads(2).actorsPerThread(2).actorsBefore(1).actorsAfter(0)
                .check(ConnectionLincheckTest.class);
    }

    private static kotlin.jvm.functions.Function1<DSLScenarioBuilder, Unit> twoThreads(List<String> first, List<String> second) {
        return scenario -> {
            scenario.parallel(threads -> {
                threads.thread(t -> actors(t, first.toArray(String[]::new)));
                threads.thread(t -> actors(t, second.toArray(String[]::new)));
                return Unit.INSTANCE;
            });
            return Unit.INSTANCE;
        };
    }

    private static Unit actors(DSLThreadScenario thread, String... operations) {
        for (String operation : operations) {
            try {
                thread.add(new Actor(ConnectionLincheckTest.class.getMethod(operation), List.of(), false, false, false,
                        false, false));
            } catch (NoSuchMethodException e) {
                throw new AssertionError(e);
            }
        }
        return Unit.INSTANCE;
    }
}
