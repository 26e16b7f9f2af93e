package chorus.hub;

import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One WebSocket frame, encoded once, header and all, and offered to every member that reads its
 * encoding: server frames are unmasked, so every recipient gets the same read-only bytes. The
 * transport counts it against its outbound budget once, while any queue holds it, so a broadcast
 * to a big room costs its bytes once, not once per member.
 */
public final class SharedFrame {
    private static final byte FIN = (byte) 0x80;
    private static final byte TEXT = 0x1;
    private static final byte PING = 0x9;
    private static final byte PONG = 0xA;

    private final ByteBuffer bytes;
    private final int header;
    // Queues holding it: taken under each member's own lock, so shared by many threads.
    private final AtomicInteger holders = new AtomicInteger();

    private SharedFrame(byte opCode, ByteBuffer payload, boolean direct) {
        int length = payload.remaining();
        header = length <= 125 ? 2 : length <= 0xFFFF ? 4 : 10;
        ByteBuffer frame = direct ? ByteBuffer.allocateDirect(header + length) : ByteBuffer.allocate(header + length);
        frame.put((byte) (FIN | opCode));
        if (length <= 125) {
            frame.put((byte) length);
        } else if (length <= 0xFFFF) {
            frame.put((byte) 126).putShort((short) length);
        } else {
            frame.put((byte) 127).putLong(length);
        }
        frame.put(payload.duplicate()).flip();
        this.bytes = frame.asReadOnlyBuffer();
    }

    /** A text frame for one member (its welcome, an error): on the heap, written once. */
    public SharedFrame(ByteBuffer payload) {
        this(TEXT, payload, false);
    }

    /**
     * A text frame for many members (a message, presence): off the heap, so the socket writes it
     * as it is instead of the JDK copying it into a temporary direct buffer for every recipient.
     */
    public static SharedFrame broadcast(ByteBuffer payload) {
        return new SharedFrame(TEXT, payload, true);
    }

    /** A ping with no payload, for the keepalive. */
    public static SharedFrame ping() {
        return new SharedFrame(PING, ByteBuffer.allocate(0), false);
    }

    /** The answer to a ping: its payload (at most 125 bytes, as every control frame's) echoed. */
    public static SharedFrame pong(ByteBuffer payload) {
        return new SharedFrame(PONG, payload, false);
    }

    /** A view of its own for one recipient: a write consumes the view's position, not the frame's. */
    public ByteBuffer view() {
        return bytes.slice();
    }

    /** The frame's payload alone (the API reads a message's JSON from it). */
    public ByteBuffer payload() {
        return bytes.slice(header, bytes.remaining() - header);
    }

    /** Bytes on the wire, header included. */
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
