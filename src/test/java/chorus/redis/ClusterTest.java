package chorus.redis;

import static chorus.support.ApiClient.TOKEN;
import static chorus.support.ApiClient.call;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import chorus.support.JsonClient;
import chorus.support.Receiver;
import chorus.support.RedisCluster;
import chorus.support.TestServer;
import chorus.support.WsClient;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Chorus on a real three-primary Redis Cluster: rooms spread over the shards, each room's keys and
 * channel on its own shard (sharded pub/sub), presence, the operator's orders and the byte budget
 * across them, and a primary killed mid-traffic.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> ROOMS = List.of("r0", "r1", "r2", "r3", "r4", "r5"); // over all three shards
    /** One cluster for the class (it takes seconds to form): the test that kills a primary comes last. */
    private static RedisCluster cluster;

    @BeforeAll
    static void form() throws Exception {
        cluster = new RedisCluster();
    }

    @AfterAll
    static void dissolve() throws Exception {
        cluster.close();
    }

    private static Map<String, String> env(String... more) {
        Map<String, String> env = new HashMap<>(Map.of("REDIS_URL", cluster.url(), "API_TOKEN", TOKEN, "TRUST_PROXY", "true"));
        for (int i = 0; i < more.length; i += 2) env.put(more[i], more[i + 1]);
        return env;
    }

    /** Webhooks on a cluster: their keys share one shard; rooms on every shard are counted once over two instances. */
    @Test
    @Order(0)
    void webhooksAreSharedOverTheShards() throws Exception {
        try (Receiver receiver = new Receiver();
                TestServer a = new TestServer(env("WEBHOOK_URL", receiver.url(), "WEBHOOK_SECRET", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"));
                TestServer b = new TestServer(env("WEBHOOK_URL", receiver.url(), "WEBHOOK_SECRET", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"))) {
            for (String room : ROOMS) {
                try (JsonClient ann = JsonClient.connect(a, "room=w" + room + "&name=ann&person=browser-ann-1");
                        JsonClient annElsewhere = JsonClient.connect(b, "room=w" + room + "&name=ann&person=browser-ann-1")) {
                    annElsewhere.awaitPresence(p -> p.get("online").asInt() == 1);
                    ann.send("hello " + room);
                    annElsewhere.next("message");
                }
            }
            receiver.await("message.created", ROOMS.size(), java.time.Duration.ofSeconds(10));
            receiver.await("room.occupied", ROOMS.size(), java.time.Duration.ofSeconds(10));
            Thread.sleep(500);
            assertEquals(ROOMS.size(), receiver.ofType("message.created").size(), "each message once");
            assertEquals(ROOMS.size(), receiver.ofType("room.occupied").size(), "each room occupied once, over two instances");
            assertEquals(1, receiver.ofType("user.online").size(), "one person, in two tabs on two instances");
        }
    }

    @Test
    @Order(1)
    void presenceOrdersAndTheBudgetSpanTheShards() throws Exception {
        // Room for what the cluster's own buffers grow by; the heavy room's history may grow past it.
        String budget = String.valueOf(usedMemory() + (3 << 20));
        try (TestServer a = new TestServer(env("REDIS_MAX_BYTES", budget, "HISTORY_SIZE", "1000", "RATE_LIMIT_PER_SECOND", "1000",
                "RATE_LIMIT_BURST", "1000", "RATE_LIMIT_PER_ADDRESS", "1000"));
                TestServer b = new TestServer(env("REDIS_MAX_BYTES", budget, "HISTORY_SIZE", "1000", "RATE_LIMIT_PER_SECOND", "1000",
                "RATE_LIMIT_BURST", "1000", "RATE_LIMIT_PER_ADDRESS", "1000"))) {
            for (String room : ROOMS) { // presence, and messages, across instances in every shard
                try (JsonClient ann = JsonClient.connect(a, "room=" + room + "&name=ann");
                        JsonClient bob = JsonClient.connect(b, "room=" + room + "&name=bob")) {
                    bob.awaitPresence(p -> p.get("names").size() == 2);
                    ann.send("hello " + room);
                    assertEquals("hello " + room, bob.next("message").get("text").asText());
                }
            }
            try (JsonClient far = JsonClient.connect(b, "room=r3&name=far")) { // an order heard on every instance
                assertEquals(204, call(a, "DELETE", "/api/rooms/r3", null, TOKEN).statusCode());
                WsClient.Close close = far.socket().awaitClose();
                assertEquals(4001, close.code());
            }
            String rooms = "";
            try (JsonClient listed = JsonClient.connect(b, "room=r4&name=listed")) { // a scan over every shard
                for (int i = 0; i < 50 && !rooms.contains("\"r4\""); i++) {
                    rooms = call(a, "GET", "/api/rooms", null, TOKEN).body();
                    if (!rooms.contains("\"r4\"")) Thread.sleep(100);
                }
                assertTrue(rooms.contains("{\"room\":\"r4\",\"members\":1}"), rooms);
            }
            try (JsonClient calm = JsonClient.connect(a, "room=calm&name=calm", Map.of("X-Forwarded-For", "203.0.113.9"));
                    JsonClient filler = JsonClient.connect(a, "room=heavy&name=f", Map.of("X-Forwarded-For", "198.51.100.1"));
                    JsonClient watcher = JsonClient.connect(b, "room=heavy&name=w")) {
                calm.send("kept");
                calm.next("message");
                String big = "h".repeat(16_000);
                boolean reset = false;
                for (int i = 0; i < 600 && !reset; i++) { // until the budget, summed over the primaries, is exceeded
                    filler.send(big);
                    JsonNode frame;
                    while (!(frame = watcher.next()).get("type").asText().equals("message")) {
                        if (frame.get("type").asText().equals("reset")) reset = true;
                    }
                    if (i % 50 == 49) Thread.sleep(1_100); // a beat, which looks at the primaries' memory
                }
                assertTrue(reset, "the heavy room was never shed: " + a.get("/metrics").lines()
                        .filter(l -> l.startsWith("chorus_redis_used_bytes")).toList() + " against " + budget);
            }
            try (JsonClient later = JsonClient.connect(b, "room=calm", Map.of("X-Forwarded-For", "203.0.113.10"))) {
                assertEquals("kept", later.next("message").get("text").asText(), "the quiet room's history");
            }
        }
    }

    /**
     * Three instances, a sender per room that resends with its ref whatever it is not told was
     * sent (as the client library does), watchers on the other instances; the primary of one
     * room's shard is killed mid-traffic and its replica promoted. Every watcher gets every
     * acknowledged message once and in order, or a reset; none is delivered twice without one.
     */
    @Test
    @Order(2)
    void aPrimaryKilledMidTrafficLosesNoAcknowledgedMessageSilently() throws Exception {
        int count = 120;
        List<String> rooms = ROOMS.stream().map(r -> "f" + r).toList(); // new rooms, spread over the shards too
        Map<String, String> env = env("RATE_LIMIT_PER_SECOND", "1000", "RATE_LIMIT_BURST", "1000",
                "RATE_LIMIT_PER_ADDRESS", "1000");
        List<TestServer> instances = List.of(new TestServer(env), new TestServer(env), new TestServer(env));
        ExecutorService senders = Executors.newFixedThreadPool(rooms.size());
        List<JsonClient> clients = new ArrayList<>();
        try {
            Map<String, List<JsonClient>> watchers = new HashMap<>();
            List<Future<List<String>>> acknowledged = new ArrayList<>();
            for (int r = 0; r < rooms.size(); r++) {
                String room = rooms.get(r);
                List<JsonClient> seeing = new ArrayList<>();
                for (int i = 1; i <= 2; i++) seeing.add(JsonClient.connect(instances.get((r + i) % 3), "room=" + room + "&name=w" + i));
                watchers.put(room, seeing);
                clients.addAll(seeing);
                JsonClient sender = JsonClient.connect(instances.get(r % 3), "room=" + room + "&name=s&client=sender-" + room);
                clients.add(sender);
                acknowledged.add(senders.submit(() -> sendAll(sender, room, count)));
            }
            Thread.sleep(800);
            cluster.killPrimaryOf("chorus:{fr0}:log");
            for (int r = 0; r < rooms.size(); r++) {
                List<String> sent = acknowledged.get(r).get();
                assertEquals(count, sent.size(), "every message of " + rooms.get(r) + " acknowledged in the end");
                for (JsonClient watcher : watchers.get(rooms.get(r))) {
                    // Up to the last message, sent after the failover: a watcher without a reset has
                    // had every one before it, once and in order; one with a reset was told that
                    // what the promoted replica lacked is gone (it may lack acknowledged messages).
                    List<String> seen = new ArrayList<>();
                    boolean reset = false;
                    String last = sent.get(count - 1);
                    while (seen.isEmpty() || !seen.get(seen.size() - 1).equals(last)) {
                        JsonNode frame = watcher.next();
                        String type = frame.get("type").asText();
                        if (type.equals("reset")) reset = true;
                        else if (type.equals("message")) seen.add(frame.get("text").asText());
                    }
                    if (!reset) assertEquals(sent, seen, "a watcher of " + rooms.get(r) + " without a reset");
                }
            }
        } finally {
            senders.shutdownNow();
            for (JsonClient c : clients) c.close();
            for (TestServer s : instances) s.close();
        }
    }

    /** Sends "room i" with ref i, one at a time, resending after any failure until it is sent; the texts acknowledged, in order. */
    private static List<String> sendAll(JsonClient sender, String room, int count) throws Exception {
        List<String> sent = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String text = room + " " + i;
            String ref = "m" + i;
            long first = System.currentTimeMillis();
            boolean done = false;
            for (int attempt = 0; !done && attempt < 100; attempt++) {
                var send = JSON.createObjectNode().put("type", "send").put("text", text).put("ref", ref);
                if (attempt > 0) send.put("age", System.currentTimeMillis() - first);
                sender.socket().send(send.toString());
                while (true) {
                    JsonNode frame = sender.next();
                    String type = frame.get("type").asText();
                    if (type.equals("sent") && frame.path("ref").asText().equals(ref)) {
                        done = true;
                        break;
                    }
                    if (type.equals("error") && frame.get("code").asText().equals("ref-expired")) {
                        ref = ref + "x"; // whether it was delivered cannot be told: the person sends it again
                        first = System.currentTimeMillis();
                        break;
                    }
                    if (type.equals("error")) {
                        assertTrue(List.of("unavailable", "unknown").contains(frame.get("code").asText()), frame.toString());
                        Thread.sleep(100);
                        break;
                    }
                }
            }
            assertTrue(done, text + " never acknowledged");
            sent.add(text);
            Thread.sleep(10);
        }
        return sent;
    }

    private static long usedMemory() {
        RedisClusterClient client = RedisClusterClient.create(cluster.url());
        try (StatefulRedisClusterConnection<String, String> c = client.connect()) {
            return c.sync().masters().commands().info("memory").asMap().values().stream()
                    .mapToLong(info -> Long.parseLong(info.replaceAll("(?s).*used_memory:(\\d+).*", "$1"))).sum();
        } finally {
            client.shutdown();
        }
    }
}
