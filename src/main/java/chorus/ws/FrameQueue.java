package chorus.ws;

import chorus.hub.SharedFrame;
import java.util.Arrays;
import java.util.function.Consumer;

/**
 * A connection's queued frames in arrival order, each with what it is charged against the
 * connection's bound (0 for the shared history it is owed). Circular arrays: queueing and taking
 * a batch allocate nothing once the arrays have grown to the connection's usual backlog, and they
 * shrink back by halves when it stays far below that (a joiner's history replay grows them once).
 */
final class FrameQueue {
    private static final int SMALL = 16; // never shrunk below this
    private SharedFrame[] frames = new SharedFrame[4];
    private int[] charges = new int[4];
    private int head;
    private int size;
    private long chargedBytes;
    private int chargedFrames;

    void add(SharedFrame frame, int charge) {
        if (size == frames.length) grow();
        int at = (head + size++) & (frames.length - 1);
        frames[at] = frame;
        charges[at] = charge;
        chargedBytes += charge;
        if (charge > 0) chargedFrames++;
    }

    private void grow() {
        resize(frames.length * 2);
    }

    private void resize(int capacity) {
        SharedFrame[] f = new SharedFrame[capacity];
        int[] c = new int[capacity];
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
    long drainTo(SharedFrame[] batch) {
        long charged = chargedBytes;
        for (int i = 0; i < size; i++) {
            int at = (head + i) & (frames.length - 1);
            batch[i] = frames[at];
            frames[at] = null;
        }
        boolean oversized = frames.length > SMALL && size < frames.length / 8;
        head = 0;
        size = 0;
        if (oversized) resize(frames.length / 2);
        chargedBytes = 0;
        chargedFrames = 0;
        return charged;
    }

    /** Drops every frame, handing each to {@code dropped}. */
    void clear(Consumer<SharedFrame> dropped) {
        for (int i = 0; i < size; i++) dropped.accept(frames[(head + i) & (frames.length - 1)]);
        Arrays.fill(frames, null);
        head = 0;
        size = 0;
        chargedBytes = 0;
        chargedFrames = 0;
    }
}
