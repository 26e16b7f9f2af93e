package chorus.hub;

import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One encoded frame, offered to every member that reads its encoding: the same read-only bytes
 * for all of them. The transport counts it against its outbound budget once, while any queue
 * holds it, so a broadcast to a big room costs its bytes once, not once per member.
 */
public final class SharedFrame {
    private final ByteBuffer bytes;
    // Queues holding it: taken under each member's own lock, so shared by many threads.
    private final AtomicInteger holders = new AtomicInteger();

    public SharedFrame(ByteBuffer bytes) {
        this.bytes = bytes.asReadOnlyBuffer();
    }

    /** A view of its own for one recipient: a write consumes the view's position, not the frame's. */
    public ByteBuffer view() {
        return bytes.slice();
    }

    public int size() {
        return bytes.remaining();
    }

    /** One more queue holds it; true when it was held by none (its bytes are now held). */
    public boolean hold() {
        return holders.getAndIncrement() == 0;
    }

    /** A queue let go of it; true when none holds it any more. */
    public boolean letGo() {
        return holders.decrementAndGet() == 0;
    }
}
