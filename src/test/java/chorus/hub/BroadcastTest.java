package chorus.hub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import chorus.support.TestServer;
import chorus.support.WsClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class BroadcastTest {
    // Each client sends 50 at once, all from one address: lift the rate limits. This test is about
    // order and exactly-once under the default queue bound; the bound itself is SlowConsumerTest's.
    private final TestServer server = new TestServer(Map.of("RATE_LIMIT_PER_SECOND", "1000", "RATE_LIMIT_BURST", "1000",
            "RATE_LIMIT_PER_ADDRESS", "100000"));
    private final List<WsClient> clients = new ArrayList<>();

    @AfterEach
    void stop() {
        clients.forEach(WsClient::close);
        server.close();
    }

    @Test
    void everyClientReceivesEveryMessageOnceInEachSendersOrder() throws Exception {
        int clientCount = 20;
        int perClient = 50;
        for (int i = 0; i < clientCount; i++) clients.add(WsClient.connect(server.ws()));
        server.awaitConnections(clientCount); // joined, not just upgraded

        ExecutorService senders = Executors.newFixedThreadPool(clientCount);
        List<Future<?>> sent = new ArrayList<>();
        for (int c = 0; c < clientCount; c++) {
            WsClient client = clients.get(c);
            String sender = "c" + c;
            sent.add(senders.submit(() -> {
                for (int m = 0; m < perClient; m++) client.send(sender + ":" + m);
            }));
        }
        for (Future<?> f : sent) f.get();
        senders.shutdown();

        List<String> firstOrder = null;
        for (WsClient client : clients) {
            assertEquals(0, server.server().hub().slowClientsDropped(), "a healthy client was dropped as too slow");
            List<String> received = client.next(clientCount * perClient);
            assertEquals(clientCount * perClient, new HashSet<>(received).size(), "a message arrived twice");
            Map<String, Integer> lastSeen = new HashMap<>();
            for (String message : received) {
                String[] parts = message.split(":");
                int seq = Integer.parseInt(parts[1]);
                int previous = lastSeen.getOrDefault(parts[0], -1);
                assertEquals(previous + 1, seq, "messages of " + parts[0] + " out of order");
                lastSeen.put(parts[0], seq);
            }
            // One server order: every client sees the same interleaving.
            if (firstOrder == null) firstOrder = received;
            else assertEquals(firstOrder, received);
            assertNull(client.poll(Duration.ofMillis(100)), "more messages than were sent");
        }
    }

    @Test
    void aClientThatLeavesStopsReceivingAndOthersCarryOn() throws Exception {
        WsClient stays = WsClient.connect(server.ws());
        WsClient leaves = WsClient.connect(server.ws());
        clients.add(stays);
        server.awaitConnections(2);
        stays.send("before");
        assertEquals("before", stays.next());
        assertEquals("before", leaves.next());

        leaves.close();
        server.awaitConnections(1);
        stays.send("after");
        assertEquals("after", stays.next());
        assertNull(leaves.poll(Duration.ofMillis(200)), "a closed client received a message");
    }
}
