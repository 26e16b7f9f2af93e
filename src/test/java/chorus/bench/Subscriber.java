package chorus.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ThreadLocalRandom;

/**
 * One benchmark socket, spoken by hand on a non-blocking channel: the load generator must cost
 * far less per delivery than the servers it measures, so it parses frame headers and the send
 * time in each message's bytes, and builds no strings. Every message carries the time it was
 * due to be sent, so latency counts from the schedule (no coordinated omission) to arrival.
 */
final class Subscriber {
    static final byte[] TAG = "L|".getBytes(StandardCharsets.US_ASCII);
    /** Not a subprotocol: the client speaks Engine.IO 4 packets (Socket.IO's), joining the default namespace. */
    static final String SOCKET_IO = "socket.io";
    private static final byte[] SOCKET_IO_CONNECT = "40".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] SOCKET_IO_PONG = "3".getBytes(StandardCharsets.US_ASCII);

    final SocketChannel channel;
    private final ByteBuffer in = ByteBuffer.allocate(64 * 1024);
    boolean closed;

    private Subscriber(SocketChannel channel) {
        this.channel = channel;
    }

    /** Connects and upgrades (blocking), then leaves the channel non-blocking for a selector. */
    static Subscriber connect(URI url, String subprotocol) throws IOException {
        SocketChannel channel = SocketChannel.open(new InetSocketAddress(url.getHost(), url.getPort()));
        String path = url.getRawPath() + (url.getRawQuery() == null ? "" : "?" + url.getRawQuery());
        String request = "GET " + path + " HTTP/1.1\r\nHost: " + url.getHost() + ":" + url.getPort()
                + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                + "Sec-WebSocket-Version: 13\r\n"
                + (subprotocol == null || subprotocol.equals(SOCKET_IO) ? "" : "Sec-WebSocket-Protocol: " + subprotocol + "\r\n")
                + "\r\n";
        channel.write(ByteBuffer.wrap(request.getBytes(StandardCharsets.US_ASCII)));
        Subscriber s = new Subscriber(channel);
        // Read the response head; whatever follows it is the first frames, kept in the buffer.
        int end = -1;
        while (end < 0) {
            if (channel.read(s.in) < 0) throw new IOException("closed during the upgrade");
            end = indexOf(s.in, "\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        }
        String head = new String(s.in.array(), 0, end, StandardCharsets.US_ASCII);
        if (!head.startsWith("HTTP/1.1 101")) throw new IOException("refused: " + head.lines().findFirst().orElse(""));
        s.in.flip().position(end + 4);
        s.in.compact();
        if (SOCKET_IO.equals(subprotocol)) s.send(0x1, SOCKET_IO_CONNECT);
        channel.configureBlocking(false);
        return s;
    }

    private static int indexOf(ByteBuffer buffer, byte[] what) {
        byte[] a = buffer.array();
        for (int i = 0; i + what.length <= buffer.position(); i++) {
            int j = 0;
            while (j < what.length && a[i + j] == what[j]) j++;
            if (j == what.length) return i;
        }
        return -1;
    }

    /** What a subscriber does with each message it receives. */
    interface Sink {
        void delivered(long dueNanos, long nowNanos);
    }

    /** Reads what is there and hands each complete text frame's send time to the sink. */
    void readable(Sink sink) throws IOException {
        if (channel.read(in) < 0) {
            closed = true;
            return;
        }
        long now = System.nanoTime();
        in.flip();
        byte[] a = in.array();
        while (in.remaining() >= 2) {
            int start = in.position();
            int opcode = a[start] & 0x0f;
            int len = a[start + 1] & 0x7f;
            int header = 2;
            if (len == 126) {
                if (in.remaining() < 4) break;
                len = ((a[start + 2] & 0xff) << 8) | (a[start + 3] & 0xff);
                header = 4;
            } else if (len == 127) {
                if (in.remaining() < 10) break;
                len = (int) (((long) (a[start + 6] & 0xff) << 24) | ((a[start + 7] & 0xff) << 16)
                        | ((a[start + 8] & 0xff) << 8) | (a[start + 9] & 0xff));
                header = 10;
            }
            if (in.remaining() < header + len) break;
            int payload = start + header;
            if (opcode == 0x1 && len == 1 && a[payload] == '2') { // Engine.IO's ping
                send(0x1, SOCKET_IO_PONG);
            } else if (opcode == 0x1) {
                long due = due(a, payload, payload + len);
                if (due >= 0) sink.delivered(due, now);
            } else if (opcode == 0x9) {
                send(0xA, java.util.Arrays.copyOfRange(a, payload, payload + len));
            } else if (opcode == 0x8) {
                closed = true;
            }
            in.position(payload + len);
        }
        in.compact();
    }

    /** The number after the tag "L|", in plain text or inside a chorus.v1 JSON frame; -1 if none. */
    private static long due(byte[] a, int from, int to) {
        for (int i = from; i + 1 < to; i++) {
            if (a[i] == 'L' && a[i + 1] == '|') {
                long n = 0;
                for (int j = i + 2; j < to && a[j] >= '0' && a[j] <= '9'; j++) n = n * 10 + (a[j] - '0');
                return n;
            }
        }
        return -1;
    }

    /** Sends one masked frame, as a client must; waits out a full socket buffer. */
    synchronized void send(int opcode, byte[] payload) throws IOException {
        int header = payload.length < 126 ? 2 : 4;
        ByteBuffer frame = ByteBuffer.allocate(header + 4 + payload.length);
        frame.put((byte) (0x80 | opcode));
        if (payload.length < 126) {
            frame.put((byte) (0x80 | payload.length));
        } else {
            frame.put((byte) (0x80 | 126)).putShort((short) payload.length);
        }
        byte[] mask = new byte[4];
        ThreadLocalRandom.current().nextBytes(mask);
        frame.put(mask);
        for (int i = 0; i < payload.length; i++) frame.put((byte) (payload[i] ^ mask[i & 3]));
        frame.flip();
        while (frame.hasRemaining()) {
            if (channel.write(frame) == 0) Thread.onSpinWait();
        }
    }

    /** The message a publisher sends: the tag, when it was due, and padding to the payload size. */
    static String message(long dueNanos, int size) {
        StringBuilder text = new StringBuilder(size).append("L|").append(dueNanos).append('|');
        while (text.length() < size) text.append('x');
        return text.toString();
    }

    /** A send of that message as the protocol spells it: the text itself, chorus.v1's send frame, or Socket.IO's event. */
    static String send(String message, String subprotocol) {
        if (subprotocol == null) return message;
        if (subprotocol.equals(SOCKET_IO)) return "42[\"send\",{\"text\":\"" + message + "\"}]";
        return "{\"type\":\"send\",\"text\":\"" + message + "\"}";
    }
}
