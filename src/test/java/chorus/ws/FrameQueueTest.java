package chorus.ws;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import chorus.hub.SharedFrame;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

class FrameQueueTest {
    private static int capacity(FrameQueue queue) throws ReflectiveOperationException {
        var field = FrameQueue.class.getDeclaredField("frames");
        field.setAccessible(true);
        return ((Object[]) field.get(queue)).length;
    }

    /** A joiner's replay of a long history grows the arrays once; a quiet socket after it does not keep them. */
    @Test
    void theArraysShrinkBackAfterABacklog() throws Exception {
        FrameQueue queue = new FrameQueue();
        SharedFrame frame = new SharedFrame(ByteBuffer.wrap(new byte[] {1}));
        for (int i = 0; i < 10_000; i++) queue.add(frame, 0);
        SharedFrame[] batch = new SharedFrame[10_000];
        queue.drainTo(batch);
        assertTrue(capacity(queue) >= 10_000);
        for (int turn = 0; turn < 20; turn++) {
            queue.add(frame, 1);
            assertEquals(1, queue.drainTo(batch));
        }
        assertTrue(capacity(queue) <= 64, "still " + capacity(queue) + " slots after the backlog");
    }
}
