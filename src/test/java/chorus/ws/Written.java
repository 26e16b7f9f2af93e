package chorus.ws;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** The text payloads of the frames in one gathering write, read as a client would read them. */
final class Written {
    private Written() {
    }

    static List<String> texts(ByteBuffer[] frames) {
        List<String> texts = new ArrayList<>();
        for (ByteBuffer frame : frames) {
            if (!frame.hasRemaining()) continue; // an unused slot
            ByteBuffer bytes = frame.duplicate();
            int opCode = bytes.get() & 0x0F;
            int length = bytes.get() & 0x7F;
            if (length == 126) length = bytes.getShort() & 0xFFFF;
            else if (length == 127) length = (int) bytes.getLong();
            if (opCode != 0x1) throw new AssertionError("not a text frame: opcode " + opCode);
            if (bytes.remaining() != length) throw new AssertionError("a frame of " + length + " bytes had " + bytes.remaining());
            texts.add(StandardCharsets.UTF_8.decode(bytes).toString());
            frame.position(frame.limit()); // written
        }
        return texts;
    }
}
