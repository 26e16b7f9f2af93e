package chorus.ws;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import chorus.support.RawSocket;
import chorus.support.TestServer;
import chorus.support.WsClient;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * The connection writes its socket itself (messages, pongs, then Jetty's close): on the wire, every
 * frame is whole and in order, a ping's pong comes with the same payload, and both closing
 * handshakes of RFC 6455 end as they should: the close is answered, then the TCP connection ends.
 */
class WireTest {
    private static final TestServer SERVER = new TestServer();

    @AfterAll
    static void stop() {
        SERVER.close();
    }

    private static URI ws(String query) {
        return URI.create(SERVER.ws() + "?" + query);
    }

    @Test
    void framesOfEverySizeArriveWholeAndInOrderWithPongsBetweenThem() throws Exception {
        try (RawSocket reader = new RawSocket(SERVER.port(), 1 << 16, "127.0.0.1", "/ws?room=wire&name=reader", "");
                WsClient writer = WsClient.connect(ws("room=wire&name=writer"))) {
            String[] texts = {"a", "x".repeat(125), "y".repeat(126), "z".repeat(16_000), "é".repeat(40)};
            for (String text : texts) writer.send(text);
            reader.sendFrame(0x9, "are you there".getBytes(StandardCharsets.UTF_8));
            int seen = 0;
            boolean pong = false;
            while (seen < texts.length || !pong) {
                RawSocket.Frame frame = reader.readFrame();
                if (frame.opcode() == 0xA) {
                    assertArrayEquals("are you there".getBytes(StandardCharsets.UTF_8), frame.payload());
                    pong = true;
                } else {
                    assertEquals(0x1, frame.opcode());
                    assertEquals(texts[seen++], new String(frame.payload(), StandardCharsets.UTF_8));
                }
            }
        }
    }

    @Test
    void aClientsCloseIsAnsweredWithItsCodeAndThenTheConnectionEnds() throws Exception {
        try (RawSocket client = new RawSocket(SERVER.port(), 1 << 16, "127.0.0.1", "/ws?room=bye&name=leaver", "");
                WsClient writer = WsClient.connect(ws("room=bye&name=writer"))) {
            for (int i = 0; i < 30; i++) writer.send("message " + i); // frames in flight while it closes
            client.sendFrame(0x8, new byte[] {0x03, (byte) 0xE8, 'o', 'k'}); // 1000 "ok"
            RawSocket.Frame answer = client.readUntilClose();
            assertEquals(1000, answer.closeCode());
            assertTrue(client.isDropped(), "the server kept the TCP connection after the closing handshake");
        }
    }

    @Test
    void aServersCloseComesAfterWholeFramesAndThenTheConnectionEnds() throws Exception {
        try (RawSocket client = new RawSocket(SERVER.port(), 1 << 16, "127.0.0.1", "/ws?room=refused&name=sender", "");
                WsClient writer = WsClient.connect(ws("room=refused&name=writer"))) {
            for (int i = 0; i < 30; i++) writer.send("message " + i);
            client.sendFrame(0x2, new byte[] {1, 2, 3}); // binary: refused with 1003
            RawSocket.Frame close;
            while (true) { // whatever comes first is whole text, then the close
                RawSocket.Frame frame = client.readFrame();
                if (frame.opcode() == 0x8) {
                    close = frame;
                    break;
                }
                assertEquals(0x1, frame.opcode());
                assertTrue(new String(frame.payload(), StandardCharsets.UTF_8).startsWith("message "));
            }
            assertEquals(1003, close.closeCode());
            client.sendFrame(0x8, new byte[] {0x03, (byte) 0xEB}); // the client's answer
            assertTrue(client.isDropped(), "the server kept the TCP connection after the closing handshake");
        }
    }
}
