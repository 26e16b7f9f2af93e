package chorus.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import chorus.support.JsonClient;
import chorus.support.RedisServer;
import chorus.support.TestServer;
import com.fasterxml.jackson.databind.JsonNode;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** With Redis, work follows traffic: idle rooms cost nothing, and live delivery survives lost subscriptions. */
class TrafficTest {
    private RedisServer redis;
    private RedisClient client;
    private StatefulRedisConnection<String, String> control;
    private final List<TestServer> instances = new ArrayList<>();
    private final List<JsonClient> clients = new ArrayList<>();

    @BeforeEach
    void start() throws Exception {
        redis = new RedisServer();
        client = RedisClient.create(redis.url());
        control = client.connect();
    }

    @AfterEach
    void stop() throws Exception {
        clients.forEach(JsonClient::close);
        instances.forEach(TestServer::close);
        control.close();
        client.shutdown();
        redis.close();
    }

    private TestServer instance() {
        TestServer server = new TestServer(Map.of("REDIS_URL", redis.url(), "RATE_LIMIT_PER_SECOND", "1000",
                "RATE_LIMIT_BURST", "1000"));
        instances.add(server);
        return server;
    }

    private JsonClient join(TestServer server, String query) {
        JsonClient c = JsonClient.connect(server, query);
        clients.add(c);
        return c;
    }

    private long commandsProcessed() {
        String stats = control.sync().info("stats");
        return stats.lines().filter(l -> l.startsWith("total_commands_processed:"))
                .mapToLong(l -> Long.parseLong(l.substring(l.indexOf(':') + 1).strip())).findFirst().orElseThrow();
    }

    @Test
    void idleRoomsCostRedisNothingPerSecond() throws Exception {
        TestServer server = instance();
        int rooms = 60;
        for (int i = 0; i < rooms; i++) join(server, "room=idle-" + i + "&name=m" + i);
        Thread.sleep(1_500); // joins, their history reads and presence writes are done
        long before = commandsProcessed();
        Thread.sleep(3_000);
        long during = commandsProcessed() - before - 1; // not counting the INFO itself
        System.out.println(during + " Redis commands in 3 s with " + rooms + " idle rooms");
        // A heartbeat a second is the instance's whole idle cost: nothing per room.
        assertTrue(during < rooms / 2, during + " Redis commands in 3 s with " + rooms + " idle rooms");
    }

    private long presenceWrites() {
        return control.sync().info("commandstats").lines().filter(l -> l.startsWith("cmdstat_hset:"))
                .mapToLong(l -> Long.parseLong(l.replaceFirst("cmdstat_hset:calls=(\\d+),.*", "$1"))).sum();
    }

    /** An instance writes its presence when its own members change, not when another's do. */
    @Test
    void joinsOnOneInstanceCostTheOtherNoPresenceWrites() throws Exception {
        TestServer a = instance();
        TestServer b = instance();
        JsonClient watcher = join(b, "room=crowd&name=watcher");
        join(a, "room=crowd&name=first");
        watcher.awaitPresence(p -> p.get("online").asInt() == 2);
        long before = presenceWrites();
        for (int i = 0; i < 10; i++) {
            join(a, "room=crowd&name=joiner" + i);
            final int online = 3 + i;
            watcher.awaitPresence(p -> p.get("online").asInt() == online);
        }
        long writes = presenceWrites() - before;
        System.out.println(writes + " presence writes for 10 joins on one of two instances");
        assertTrue(writes <= 10, writes + " presence writes for 10 joins on one instance (the other rewrote its own)");
    }

    @Test
    void subscriptionsLostDuringTrafficLoseAndRepeatNothing() throws Exception {
        TestServer a = instance();
        TestServer b = instance();
        JsonClient ann = join(a, "room=busy&name=ann");
        JsonClient bob = join(b, "room=busy&name=bob");
        bob.awaitPresence(p -> p.get("online").asInt() == 2);
        int count = 300;
        Thread sender = new Thread(() -> {
            for (int i = 0; i < count; i++) {
                ann.send("m" + i);
                if (i == 100 || i == 200) control.sync().clientKill(io.lettuce.core.KillArgs.Builder.typePubsub());
                try {
                    Thread.sleep(5);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        sender.start();
        for (JsonClient reader : List.of(ann, bob)) {
            List<String> texts = reader.messages(count).stream().map(m -> m.get("text").asText()).toList();
            List<String> expected = new ArrayList<>();
            for (int i = 0; i < count; i++) expected.add("m" + i);
            assertEquals(expected, texts, "every message once, in order");
        }
        sender.join();
    }

    @Test
    void anInstanceThatDiedLeavesThePresenceListsItWasIn() throws Exception {
        TestServer server = instance();
        JsonClient ann = join(server, "room=lobby&name=ann");
        ann.awaitPresence(p -> names(p).equals(List.of("ann")));
        // Another instance, as it writes itself into Redis, whose heartbeat then stops.
        control.sync().set("chorus:instance:gone", "1", io.lettuce.core.SetArgs.Builder.px(2_000));
        control.sync().hset("chorus:{lobby}:presence", "gone", "[{\"name\":\"ghost\",\"person\":\"client:ghost-page-01\"}]");
        control.sync().spublish("chorus:{lobby}:live", "presence:gone");
        ann.awaitPresence(p -> names(p).equals(List.of("ann", "ghost")));
        JsonNode after = ann.awaitPresence(p -> names(p).equals(List.of("ann")), java.time.Duration.ofSeconds(6));
        assertEquals(1, after.get("online").asInt());
        assertEquals(0L, control.sync().hexists("chorus:{lobby}:presence", "gone") ? 1L : 0L, "its field is removed");
    }

    private static List<String> names(JsonNode presence) {
        return StreamSupport.stream(presence.get("names").spliterator(), false).map(JsonNode::asText).toList();
    }

    /**
     * A resend is recognised by its ref for at least the room's last HISTORY_SIZE messages, as in
     * memory, at a few bytes a ref: not one key per ref for ten minutes, which filled a small plan.
     */
    @Test
    void refsAreRememberedPerRoomNotAsAKeyEach() throws Exception {
        TestServer server = new TestServer(Map.of("REDIS_URL", redis.url(), "RATE_LIMIT_PER_SECOND", "10000",
                "RATE_LIMIT_BURST", "10000", "RATE_LIMIT_PER_ADDRESS", "10000"));
        instances.add(server);
        JsonClient ann = join(server, "room=refs&name=ann&client=client-one");
        int count = 1_000;
        for (int i = 0; i < count; i++) ann.socket().send("{\"type\":\"send\",\"text\":\"m\",\"ref\":\"r" + i + "\"}");
        String lastId = null;
        for (int acked = 0; acked < count; ) {
            JsonNode frame = ann.next();
            if (frame.get("type").asText().equals("sent")) {
                acked++;
                lastId = frame.get("id").asText();
            }
        }
        long keys = control.sync().dbsize();
        assertTrue(keys < 16, keys + " keys for one room"); // its own, presence, and the budget's sets and hashes
        ann.socket().send("{\"type\":\"send\",\"text\":\"m\",\"ref\":\"r" + (count - 1) + "\"}");
        JsonNode again;
        do {
            again = ann.next(); // its own messages may still be arriving
        } while (!again.get("type").asText().equals("sent"));
        assertEquals(lastId, again.get("id").asText());
        assertTrue(again.get("duplicate").asBoolean(), again.toString());
    }
}
