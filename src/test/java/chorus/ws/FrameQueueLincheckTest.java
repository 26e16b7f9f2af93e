package chorus.ws;

import chorus.hub.SharedFrame;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import org.jetbrains.lincheck.datastructures.IntGen;
import org.jetbrains.lincheck.datastructures.ModelCheckingOptions;
import org.jetbrains.lincheck.datastructures.Operation;
import org.jetbrains.lincheck.datastructures.Param;
import org.junit.jupiter.api.Test;

/**
 * A connection's queue under its lock, as the connection uses it (queue, take a batch, drop all),
 * against a plain deque: every interleaving gives the frames, order and charges the deque would.
 */
@Param(name = "charge", gen = IntGen.class, conf = "0:3")
public class FrameQueueLincheckTest {
    private final FrameQueue queue = new FrameQueue();
    private int next; // under the queue's lock, like the queue

    @Operation
    public int add(@Param(name = "charge") int charge) {
        synchronized (queue) {
            int id = ++next;
            queue.add(new SharedFrame(ByteBuffer.wrap(new byte[] {(byte) id})), charge);
            return id;
        }
    }

    @Operation
    public String drain() {
        synchronized (queue) {
            SharedFrame[] batch = new SharedFrame[queue.size()];
            String charged = queue.chargedFrames() + "/" + queue.drainTo(batch);
            List<Integer> ids = new ArrayList<>();
            for (SharedFrame frame : batch) ids.add((int) frame.payload().get());
            return ids + " " + charged;
        }
    }

    @Operation
    public int clear() {
        synchronized (queue) {
            int[] dropped = {0};
            queue.clear(frame -> dropped[0]++);
            return dropped[0];
        }
    }

    /** What the queue must behave as. */
    public static final class Model {
        private final ArrayDeque<int[]> frames = new ArrayDeque<>();
        private int next;

        public int add(int charge) {
            frames.add(new int[] {++next, charge});
            return next;
        }

        public String drain() {
            List<Integer> ids = new ArrayList<>();
            long bytes = 0;
            int charged = 0;
            for (int[] frame : frames) {
                ids.add(frame[0]);
                bytes += frame[1];
                if (frame[1] > 0) charged++;
            }
            frames.clear();
            return ids + " " + charged + "/" + bytes;
        }

        public int clear() {
            int n = frames.size();
            frames.clear();
            return n;
        }
    }

    @Test
    void behavesAsADequeInEveryInterleaving() {
        new ModelCheckingOptions().sequentialSpecification(Model.class).iterations(4).invocationsPerIteration(100)
                .threads(2).actorsPerThread(3).actorsBefore(3).actorsAfter(1).check(FrameQueueLincheckTest.class);
    }
}
