package chorus.ws;

import java.nio.ByteBuffer;

/**
 * A connection's queued frames in arrival order, each with what it is charged against the
 * connection's bound (0 for shared buffers it is owed). Circular arrays: queueing and taking a
 * batch allocate nothing once the arrays have grown to the connection's usual backlog.
 */
final class FrameQueue {
    private ByteBuffer[] frames = new ByteBuffer[4];
    private int[] charges = new int[4];
    private int head;
    private int size;
    private long chargedBytes;
    private int chargedFrames;

    void add(ByteBuffer frame, int charge) {
        if (size == frames.length) grow();
        int at = (head + size++) & (frames.length - 1);
        frames[at] = frame;
        charges[at] = charge;
        chargedBytes += charge;
        if (charge > 0) chargedFrames++;
    }

    private void grow() {
        ByteBuffer[] f = new ByteBuffer[frames.length * 2];
        int[] c = new int[frames.length * 2];
        for (int i = 0; i < size; i++) {
            f[i] = frames[(head + i) & (frames.length - 1)];
            c[i] = charges[(head + i) & (frames.length - 1)];
        }
        frames = f;
        charges = c;
        head = 0;
    }

    boolean isEmpty() {
        return size == 0;
    }

    int size() {
        return size;
    }

    long chargedBytes() {
        return chargedBytes;
    }

    int chargedFrames() {
        return chargedFrames;
    }

    /** Moves every frame into {@code batch} (which must hold {@link #size()}); returns the bytes charged. */
    long drainTo(ByteBuffer[] batch) {
        long charged = chargedBytes;
        for (int i = 0; i < size; i++) {
            int at = (head + i) & (frames.length - 1);
            batch[i] = frames[at];
            frames[at] = null;
        }
        head = 0;
        size = 0;
        chargedBytes = 0;
        chargedFrames = 0;
        return charged;
    }

    void clear() {
        java.util.Arrays.fill(frames, null);
        head = 0;
        size = 0;
        chargedBytes = 0;
        chargedFrames = 0;
    }
}
