package chorus.webhooks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import chorus.support.ApiClient;
import chorus.support.JsonClient;
import chorus.support.Receiver;
import chorus.support.RedisServer;
import chorus.support.TestServer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Webhooks with Redis (#31): one queue for every instance, people counted across them, on a real redis-server. */
class SharedWebhooksTest {
    private final Receiver receiver = new Receiver();
    private final List<AutoCloseable> open = new ArrayList<>();
    private RedisServer redis;

    @BeforeEach
    void startRedis() throws Exception {
        redis = new RedisServer();
    }

    @AfterEach
    void stop() throws Exception {
        for (int i = open.size() - 1; i >= 0; i--) open.get(i).close(); // clients before their servers
        receiver.close();
        redis.close();
    }

    private TestServer instance(String... settings) {
        Map<String, String> env = new HashMap<>(Map.of("REDIS_URL", redis.url(), "WEBHOOK_URL", receiver.url(),
                "WEBHOOK_SECRET", WebhooksTest.SECRET, "API_TOKEN", ApiClient.TOKEN, "RATE_LIMIT_PER_SECOND", "1000",
                "RATE_LIMIT_BURST", "1000", "RATE_LIMIT_PER_ADDRESS", "10000"));
        for (int i = 0; i < settings.length; i += 2) env.put(settings[i], settings[i + 1]);
        TestServer server = new TestServer(env);
        open.add(server);
        return server;
    }

    private JsonClient join(TestServer server, String query) {
        JsonClient client = JsonClient.connect(server, query);
        open.add(client);
        return client;
    }

    private static JsonNode status(TestServer server) throws Exception {
        return new ObjectMapper().readTree(ApiClient.call(server, "GET", "/api/webhooks", null, ApiClient.TOKEN).body());
    }

    @Test
    void twoInstancesDeliverEachEventOnceByOneOfThemInOrderPerRoom() throws Exception {
        TestServer a = instance("WEBHOOK_EVENTS", "message.created");
        TestServer b = instance("WEBHOOK_EVENTS", "message.created");
        long until = System.nanoTime() + Duration.ofMillis(1500).toNanos(); // failing a while: the events wait in Redis
        receiver.answer(r -> Receiver.Answer.status(System.nanoTime() < until ? 500 : 204));
        JsonClient ann = join(a, "room=r1&name=ann");
        ann.join("r2", null);
        ann.next("welcome");
        JsonClient bob = join(b, "room=r1&name=bob");
        bob.join("r2", null);
        bob.next("welcome");
        List<String> sent = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            JsonClient who = i % 2 == 0 ? ann : bob;
            String room = i % 3 == 0 ? "r2" : "r1";
            who.send(room, room + "-" + i, null);
            sent.add(room + "-" + i);
            bob.next("message"); // each taken before the next is sent: one order in each room
        }
        WebhooksTest.assertOnceByIdInOrderPerRoom(awaitTaken(sent.size(), Duration.ofSeconds(20)), sent);
        String modes = status(a).get("queue").asText() + " | " + status(b).get("queue").asText();
        assertEquals(1, modes.split("this instance delivers", -1).length - 1, "one deliverer: " + modes);
    }

    /** Deliveries the receiver took (2xx), waiting until there are n. */
    private List<Receiver.Request> awaitTaken(int n, Duration wait) throws InterruptedException {
        long end = System.nanoTime() + wait.toNanos();
        List<Receiver.Request> taken;
        do {
            Thread.sleep(100);
            taken = List.copyOf(receiver.taken);
        } while (taken.size() < n && System.nanoTime() < end);
        assertEquals(n, taken.size(), "deliveries taken: " + taken.stream().map(r -> r.json().get("data").path("text").asText()).toList());
        return taken;
    }

    @Test
    void aPersonWithTabsOnTwoInstancesIsOfflineOnlyWhenBothCloseOnceAfterTheGrace() throws Exception {
        TestServer a = instance("OFFLINE_GRACE", "1s");
        TestServer b = instance("OFFLINE_GRACE", "1s");
        JsonClient one = join(a, "room=on&name=zoe&person=browser-zoe-1&client=tab-zoe-0001");
        JsonClient two = join(b, "room=on&name=zoe&person=browser-zoe-1&client=tab-zoe-0002");
        one.awaitPresence(p -> p.get("online").asInt() == 1);
        two.awaitPresence(p -> p.get("online").asInt() == 1);
        receiver.await("user.online", 1, Duration.ofSeconds(5));
        one.close();
        Thread.sleep(2000); // past the grace (1 s, and the presence round's gathering): the other tab is still in
        assertEquals(0, receiver.ofType("user.offline").size(), "one tab of two closed");
        assertEquals(0, receiver.ofType("room.vacated").size());
        assertEquals(0, receiver.ofType("member.left").size());
        two.close();
        List<Receiver.Request> offline = receiver.await("user.offline", 1, Duration.ofSeconds(8));
        assertEquals("person:browser-zoe-1", offline.get(0).json().get("data").get("person").asText());
        receiver.await("room.vacated", 1, Duration.ofSeconds(5));
        Thread.sleep(1000);
        for (String type : List.of("user.online", "user.offline", "room.occupied", "room.vacated", "member.joined", "member.left")) {
            assertEquals(1, receiver.ofType(type).size(), type + " once, for two tabs on two instances");
        }
    }

    @Test
    void aDeployInsideTheGraceIsNoOfflineAndTheOtherInstanceDeliversOn() throws Exception {
        TestServer old = instance("OFFLINE_GRACE", "2s");
        TestServer fresh = instance("OFFLINE_GRACE", "2s");
        JsonClient ann = join(old, "room=deploy&name=ann&person=browser-ann-1");
        receiver.await("user.online", 1, Duration.ofSeconds(5));
        old.close(); // what SIGTERM does: the sockets are closed, then the instance stops
        open.remove(old);
        JsonClient again = join(fresh, "room=deploy&name=ann&person=browser-ann-1"); // the client reconnects to the new instance
        again.send("back");
        receiver.await("message.created", 1, Duration.ofSeconds(10));
        Thread.sleep(3000); // past the grace
        assertEquals(0, receiver.ofType("user.offline").size(), "a deploy is no offline");
        assertEquals(1, receiver.ofType("user.online").size(), "nor a second online");
        for (String type : List.of("member.left", "room.vacated")) assertEquals(0, receiver.ofType(type).size(), "a deploy is no " + type);
        assertEquals(1, receiver.ofType("member.joined").size(), "nor a second join");
        assertTrue(status(fresh).get("queue").asText().contains("this instance delivers"), status(fresh).toString());
        ann.close();
    }

    @Test
    void pastTheByteBoundInRedisTheOldestGoCountedAndTheNextDeliverySaysHowMany() throws Exception {
        TestServer a = instance("WEBHOOK_EVENTS", "message.created", "WEBHOOK_QUEUE_BYTES", "65536");
        WebhooksTest.overflow(receiver, join(a, "room=full&name=ann"));
        Thread.sleep(1500); // a beat reads the figures
        JsonNode status = status(a);
        assertTrue(status.get("queuedBytes").asLong() <= 65536, status.toString());
        assertTrue(status.get("dropped").asLong() > 200, status.toString());
        WebhooksTest.assertTheNextDeliverySaysDropped(receiver, status.get("dropped").asLong());
    }
}
