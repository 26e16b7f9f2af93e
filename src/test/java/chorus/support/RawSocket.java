package chorus.support;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A WebSocket client written by hand on a plain socket, for what polite clients never do:
 * stop reading, ignore pings, send invalid UTF-8.
 */
public final class RawSocket implements AutoCloseable {
    public record Frame(int opcode, byte[] payload) {
        public int closeCode() {
            return ((payload[0] & 0xff) << 8) | (payload[1] & 0xff);
        }

        public String closeReason() {
            return new String(payload, 2, payload.length - 2, StandardCharsets.UTF_8);
        }
    }

    private final Socket socket;
    private final DataInputStream in;
    private final OutputStream out;

    /** Opens and upgrades; a small receive buffer makes a stalled reader fill up quickly. */
    public RawSocket(int port, int receiveBuffer) throws IOException {
        this(port, receiveBuffer, "127.0.0.1", "/ws", "");
    }

    /**
     * Opens from a given loopback source address (127.x: as many clients as addresses) and
     * upgrades the target ("/ws?room=r") with extra header lines ("Name: value\r\n" each).
     */
    public RawSocket(int port, int receiveBuffer, String from, String target, String extraHeaders) throws IOException {
        socket = new Socket();
        socket.setReceiveBufferSize(receiveBuffer);
        socket.bind(new java.net.InetSocketAddress(from, 0));
        socket.connect(new java.net.InetSocketAddress("127.0.0.1", port), 5000);
        socket.setSoTimeout(10_000);
        in = new DataInputStream(socket.getInputStream());
        out = socket.getOutputStream();
        out.write(("GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n" + extraHeaders + "\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        String status = readHeaders();
        if (!status.startsWith("HTTP/1.1 101")) throw new IOException("upgrade refused: " + status);
    }

    /** Sends a raw HTTP request on a fresh connection and returns the response head. */
    public static String exchange(int port, String request) throws IOException {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
            ByteArrayOutputStream head = new ByteArrayOutputStream();
            InputStream input = s.getInputStream();
            while (!head.toString(StandardCharsets.US_ASCII).endsWith("\r\n\r\n")) {
                int b = input.read();
                if (b < 0) break;
                head.write(b);
            }
            return head.toString(StandardCharsets.US_ASCII);
        }
    }

    /** What an upgrade was refused with: the status and the plain reason in the body. */
    public record Refusal(int status, String reason) {
    }

    /** Sends an upgrade of the target ("/ws?room=r") with extra header lines, expecting it refused. */
    public static Refusal refusal(int port, String target, String extraHeaders) throws IOException {
        return refusal(port, "127.0.0.1", target, extraHeaders);
    }

    /** As above, from a given loopback source address (127.x). */
    public static Refusal refusal(int port, String from, String target, String extraHeaders) throws IOException {
        try (Socket s = new Socket()) {
            s.bind(new java.net.InetSocketAddress(from, 0));
            s.connect(new java.net.InetSocketAddress("127.0.0.1", port), 5000);
            s.setSoTimeout(10_000);
            s.getOutputStream().write(("GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1:" + port
                    + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                    + "Sec-WebSocket-Version: 13\r\n" + extraHeaders + "\r\n").getBytes(StandardCharsets.US_ASCII));
            DataInputStream input = new DataInputStream(s.getInputStream());
            ByteArrayOutputStream head = new ByteArrayOutputStream();
            while (!head.toString(StandardCharsets.US_ASCII).endsWith("\r\n\r\n")) {
                int b = input.read();
                if (b < 0) throw new IOException("connection closed during upgrade");
                head.write(b);
            }
            String text = head.toString(StandardCharsets.US_ASCII);
            int status = Integer.parseInt(text.substring(9, 12));
            java.util.regex.Matcher length = java.util.regex.Pattern.compile("(?i)content-length: *(\\d+)").matcher(text);
            byte[] body = new byte[length.find() ? Integer.parseInt(length.group(1)) : 0];
            input.readFully(body);
            return new Refusal(status, new String(body, StandardCharsets.UTF_8).strip());
        }
    }

    private String readHeaders() throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        while (!head.toString(StandardCharsets.US_ASCII).endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) throw new IOException("connection closed during upgrade");
            head.write(b);
        }
        return head.toString(StandardCharsets.US_ASCII);
    }

    /** Sends one masked frame, as a client must, with any payload at all. */
    public void sendFrame(int opcode, byte[] payload) throws IOException {
        sendFrame(opcode, payload, true);
    }

    /** A frame with or without FIN: a message may come in fragments. */
    public void sendFrame(int opcode, byte[] payload, boolean fin) throws IOException {
        out.write(encode(opcode, payload, fin));
        out.flush();
    }

    /** Whole frames in one write, so that the server reads them as one burst. */
    public void sendAtOnce(List<Frame> frames) throws IOException {
        sendAtOnce(frames, frames.stream().map(f -> true).toList());
    }

    /** Frames in one write, each with its FIN as given. */
    public void sendAtOnce(List<Frame> frames, List<Boolean> fins) throws IOException {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        for (int i = 0; i < frames.size(); i++) all.writeBytes(encode(frames.get(i).opcode(), frames.get(i).payload(), fins.get(i)));
        out.write(all.toByteArray());
        out.flush();
    }

    private static byte[] encode(int opcode, byte[] payload, boolean fin) {
        ByteArrayOutputStream frame = new ByteArrayOutputStream();
        frame.write((fin ? 0x80 : 0) | opcode);
        if (payload.length < 126) {
            frame.write(0x80 | payload.length);
        } else if (payload.length < 65536) {
            frame.write(0x80 | 126);
            frame.write(payload.length >> 8);
            frame.write(payload.length & 0xff);
        } else {
            frame.write(0x80 | 127);
            for (int shift = 56; shift >= 0; shift -= 8) frame.write((int) ((long) payload.length >> shift) & 0xff);
        }
        byte[] mask = new byte[4];
        ThreadLocalRandom.current().nextBytes(mask);
        frame.writeBytes(mask);
        byte[] masked = new byte[payload.length];
        for (int i = 0; i < payload.length; i++) masked[i] = (byte) (payload[i] ^ mask[i & 3]);
        frame.writeBytes(masked);
        return frame.toByteArray();
    }

    public Frame readFrame() throws IOException {
        int b0 = in.readUnsignedByte();
        int b1 = in.readUnsignedByte();
        long length = b1 & 0x7f;
        if (length == 126) length = in.readUnsignedShort();
        else if (length == 127) length = in.readLong();
        byte[] payload = new byte[(int) length];
        in.readFully(payload);
        return new Frame(b0 & 0x0f, payload);
    }

    /** Reads past data frames to the close frame. */
    public Frame readUntilClose() throws IOException {
        while (true) {
            Frame frame = readFrame();
            if (frame.opcode() == 0x8) return frame;
        }
    }

    /** Whether the server drops the TCP connection (end of stream or reset) within the read timeout. */
    public boolean isDropped() {
        try {
            InputStream raw = socket.getInputStream();
            while (true) {
                int b = raw.read();
                if (b < 0) return true;
            }
        } catch (java.net.SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true;
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
