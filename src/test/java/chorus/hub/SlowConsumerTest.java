package chorus.hub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import chorus.support.RawSocket;
import chorus.support.TestServer;
import chorus.support.WsClient;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SlowConsumerTest {
    private static final int QUEUE_BYTES = 256 * 1024;
    private static final int MESSAGE_BYTES = 4096;
    private static final int MESSAGES = 4000; // 16 MB through each healthy client
    private static final int WINDOW = 32; // the publisher waits for its own echo every WINDOW messages
    private static final Map<String, String> ENV = Map.of("SEND_QUEUE_BYTES", String.valueOf(QUEUE_BYTES),
            "MAX_MESSAGE_BYTES", "8192", "RATE_LIMIT_PER_SECOND", "100000", "RATE_LIMIT_BURST", "100000",
            "RATE_LIMIT_PER_ADDRESS", "100000");

    @Test
    void aStalledReaderIsClosedAsTooSlowWhileHealthyClientsGetEverything() throws Exception {
        try (TestServer server = new TestServer(ENV);
                RawSocket stalled = new RawSocket(server.port(), 4096)) {
            Hub hub = server.server().hub();
            List<WsClient> healthy = new ArrayList<>();
            for (int i = 0; i < 4; i++) healthy.add(WsClient.connect(server.ws()));
            server.awaitConnections(5);
            WsClient publisher = healthy.get(0);
            List<List<String>> received = new ArrayList<>();
            healthy.forEach(c -> received.add(new ArrayList<>()));

            String filler = "x".repeat(MESSAGE_BYTES - 6);
            for (int m = 0; m < MESSAGES; m++) {
                publisher.send(String.format("%06d", m) + filler);
                if (m % WINDOW == WINDOW - 1 || m == MESSAGES - 1) {
                    for (int c = 0; c < healthy.size(); c++) {
                        while (received.get(c).size() <= m) received.get(c).add(healthy.get(c).next().substring(0, 6));
                    }
                }
            }

            for (List<String> got : received) {
                assertEquals(MESSAGES, got.size());
                for (int m = 0; m < MESSAGES; m++) assertEquals(String.format("%06d", m), got.get(m));
            }
            assertEquals(1, hub.slowClientsDropped(), "exactly the stalled client is dropped");
            assertEquals(healthy.size(), hub.size());
            long peak = server.server().sockets().peakQueuedBytes();
            // The bound, or twice it while our own writer lags behind a sender (Connection's LAG_ALLOWANCE): under a
            // loaded machine the writer's turn may come late, and the sender takes it then.
            assertTrue(peak <= 2L * QUEUE_BYTES, "queued " + peak + " bytes for one client, bound " + QUEUE_BYTES + " (twice while we lag)");
            assertTrue(peak > QUEUE_BYTES - 2 * MESSAGE_BYTES, "the stalled client never filled its queue: " + peak);

            // The stalled reader finally reads: what was already in flight, then the end of its connection
            // (its close frame went only if the write before it ever completed).
            assertTrue(stalled.isDropped(), "the too-slow reader's connection was not ended");
            healthy.forEach(WsClient::close);
        }
    }

    /**
     * A reader that stops reading but keeps pinging: once it is too slow its socket goes within a
     * second or two, and the bytes stuck in its socket are let go (it used to stay, counted, for as
     * long as it pinged: its pings kept the idle timeout away and its close waited for the stuck write).
     */
    @Test
    void aClientMarkedTooSlowIsDroppedAtOnceEvenWhileItPings() throws Exception {
        try (TestServer server = new TestServer(ENV);
                RawSocket stalled = new RawSocket(server.port(), 4096);
                WsClient publisher = WsClient.connect(server.ws())) {
            Hub hub = server.server().hub();
            server.awaitConnections(2);
            java.util.concurrent.atomic.AtomicBoolean pinging = new java.util.concurrent.atomic.AtomicBoolean(true);
            Thread pinger = new Thread(() -> {
                try {
                    while (pinging.get()) {
                        stalled.sendFrame(0x9, new byte[0]);
                        Thread.sleep(100);
                    }
                } catch (Exception gone) {
                    // the server dropped it: what this test waits for
                }
            });
            pinger.start();
            String filler = "x".repeat(MESSAGE_BYTES);
            for (int m = 0; m < MESSAGES && hub.slowClientsDropped() == 0; m++) {
                publisher.send(filler);
                publisher.next();
            }
            assertEquals(1, hub.slowClientsDropped(), "the stalled reader was never too slow");
            long marked = System.nanoTime();
            while (server.server().sockets().size() > 1 && System.nanoTime() - marked < 5_000_000_000L) Thread.sleep(20);
            pinging.set(false);
            pinger.join();
            assertEquals(1, server.server().sockets().size(), "the too-slow client still holds its socket 5 s later");
            assertEquals(0, server.server().sockets().queuedBytes(), "its bytes are still held");
        }
    }
}
