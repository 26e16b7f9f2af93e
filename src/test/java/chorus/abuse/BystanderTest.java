package chorus.abuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import chorus.support.RawSocket;
import chorus.support.TestServer;
import chorus.support.WsClient;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Budgets shared by everyone: pressure falls on whoever makes it, never on a bystander. */
class BystanderTest {
    private static final Map<String, String> FAST = Map.of("RATE_LIMIT_PER_SECOND", "100000", "RATE_LIMIT_BURST", "100000",
            "RATE_LIMIT_PER_ADDRESS", "100000");

    private static Map<String, String> with(Map<String, String> more) {
        Map<String, String> env = new java.util.HashMap<>(FAST);
        env.putAll(more);
        return env;
    }

    /**
     * Rooms each with one reader that never reads and three publishers that do, while the total of
     * all queues is over SEND_QUEUE_TOTAL_BYTES: the stalled readers go, and no publisher that
     * drains its queue is closed or misses a message (they used to be closed once the total was
     * over and a 16 KB frame exceeded the "fair share" of the limit over all sockets).
     */
    @Test
    void theOutboundTotalClosesOnlyMembersWhoseQueueIsNotDraining() throws Exception {
        int rooms = 4, publishers = 3, messages = 100;
        try (TestServer server = new TestServer(with(Map.of("SEND_QUEUE_TOTAL_BYTES", String.valueOf(1 << 20))))) {
            List<RawSocket> sockets = new ArrayList<>();
            List<WsClient> senders = new ArrayList<>();
            try {
                // Idle sockets shrink the old fair share (the limit over all sockets) below one message.
                for (int i = 0; i < 80; i++) sockets.add(new RawSocket(server.port(), 65536, "127.0.0.1", "/ws?room=idle", ""));
                for (int r = 0; r < rooms; r++) {
                    sockets.add(new RawSocket(server.port(), 4096, "127.0.0.1", "/ws?room=flood" + r, ""));
                    for (int p = 0; p < publishers; p++) senders.add(WsClient.connect(URI.create(server.ws() + "?room=flood" + r)));
                }
                server.awaitConnections(80 + rooms * (1 + publishers));
                String text = "z".repeat(16 * 1024 - 8);
                List<Thread> threads = new ArrayList<>();
                for (int s = 0; s < senders.size(); s++) {
                    WsClient sender = senders.get(s);
                    String tag = String.format("%02d", s);
                    Thread t = new Thread(() -> {
                        for (int n = 0; n < messages && !sender.isClosed(); n++) sender.send(tag + String.format("%06d", n) + text);
                    });
                    threads.add(t);
                    t.start();
                }
                for (Thread t : threads) t.join(60_000);
                List<String> closed = new ArrayList<>();
                for (int s = 0; s < senders.size(); s++) {
                    if (senders.get(s).isClosed()) closed.add(s + ": " + senders.get(s).awaitClose());
                }
                assertEquals(List.of(), closed, "publishers that read were closed");
                for (WsClient sender : senders) assertEquals(publishers * messages, sender.next(publishers * messages).size());
                assertTrue(server.server().hub().slowClientsDropped() >= 1, "no stalled reader was dropped");
            } finally {
                for (RawSocket s : sockets) s.close();
                for (WsClient s : senders) s.close();
            }
        }
    }
}
