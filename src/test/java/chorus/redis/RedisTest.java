package chorus.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import static com.microsoft.playwright.assertions.PlaywrightAssertions.assertThat;

import chorus.support.Browser;
import chorus.support.JsonClient;
import chorus.support.RedisServer;
import chorus.support.TestServer;
import com.fasterxml.jackson.databind.JsonNode;
import com.microsoft.playwright.Page;
import java.time.Duration;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Several Chorus instances on one real redis-server. */
class RedisTest {
    private RedisServer redis;
    private final List<TestServer> instances = new ArrayList<>();
    private final List<JsonClient> clients = new ArrayList<>();

    @BeforeEach
    void startRedis() throws Exception {
        redis = new RedisServer();
    }

    @AfterEach
    void stop() throws Exception {
        clients.forEach(JsonClient::close);
        instances.forEach(TestServer::close);
        redis.close();
    }

    private TestServer instance() {
        TestServer server = new TestServer(Map.of("REDIS_URL", redis.url()));
        instances.add(server);
        return server;
    }

    private JsonClient join(TestServer server, String query) {
        JsonClient client = JsonClient.connect(server, query);
        clients.add(client);
        return client;
    }

    private static List<String> names(JsonNode presence) {
        return StreamSupport.stream(presence.get("names").spliterator(), false).map(JsonNode::asText).toList();
    }

    private static int health(TestServer server) throws Exception {
        return chorus.support.TestServer.HTTP.send(HttpRequest.newBuilder(server.http("/health")).build(),
                HttpResponse.BodyHandlers.ofString()).statusCode();
    }

    private static void await(String what, java.util.concurrent.Callable<Boolean> condition) throws Exception {
        for (int i = 0; i < 200; i++) {
            if (condition.call()) return;
            Thread.sleep(50);
        }
        throw new AssertionError("not within 10 s: " + what);
    }

    @Test
    void threeInstancesDeliverEveryRoomInOneOrderWithTheSameIds() throws Exception {
        List<TestServer> three = List.of(instance(), instance(), instance());
        Map<String, List<JsonClient>> byRoom = new HashMap<>();
        for (String room : List.of("red", "blue")) {
            for (TestServer server : three) {
                byRoom.computeIfAbsent(room, r -> new ArrayList<>()).add(join(server, "room=" + room + "&name=" + room));
            }
        }
        List<Thread> senders = new ArrayList<>();
        for (String room : List.of("red", "blue")) {
            for (JsonClient sender : byRoom.get(room)) {
                senders.add(new Thread(() -> {
                    for (int i = 0; i < 20; i++) sender.send(room + " " + i + " via " + sender.welcome().get("session").asText());
                }));
            }
        }
        senders.forEach(Thread::start);
        for (Thread t : senders) t.join();

        for (String room : List.of("red", "blue")) {
            List<String> first = null;
            for (JsonClient client : byRoom.get(room)) {
                List<String> seen = new ArrayList<>();
                for (JsonNode m : client.messages(60)) {
                    assertTrue(m.get("text").asText().startsWith(room + " "), "room leaked: " + m);
                    seen.add(m.get("id").asText() + " " + m.get("text").asText());
                }
                assertEquals(60, new HashSet<>(seen).size(), "duplicates");
                if (first == null) first = seen;
                else assertEquals(first, seen, "two clients of " + room + " saw different orders or ids");
            }
        }
    }

    @Test
    void resumeOnAnotherInstanceGetsExactlyWhatWasMissed() throws Exception {
        TestServer a = instance(), b = instance(), c = instance();
        JsonClient onB = join(b, "room=r&name=b");
        JsonClient onC = join(c, "room=r&name=c");
        JsonClient leaver = join(a, "room=r&name=leaver");
        onB.send("seen");
        String lastSeen = leaver.next("message").get("id").asText();
        leaver.close();
        for (int i = 0; i < 15; i++) {
            onB.send("missed b" + i);
            onC.send("missed c" + i);
        }
        List<String> expected = onB.messages(31).subList(1, 31).stream().map(m -> m.get("text").asText()).toList();

        JsonClient back = join(b, "room=r&name=leaver&since=" + lastSeen);
        assertEquals(expected, back.messages(30).stream().map(m -> m.get("text").asText()).toList());
        onC.send("live");
        assertEquals("live", back.next("message").get("text").asText(), "not exactly 30, or no live after");
    }

    @Test
    void historyOnJoinComesFromTheSharedStream() {
        TestServer a = instance(), b = instance();
        JsonClient sender = join(a, "room=h&name=s");
        for (int i = 0; i < 5; i++) sender.send("old " + i);
        sender.messages(5);
        JsonClient late = join(b, "room=h&name=late");
        assertEquals(List.of("old 0", "old 1", "old 2", "old 3", "old 4"),
                late.messages(5).stream().map(m -> m.get("text").asText()).toList());
    }

    @Test
    void presenceCountsEveryInstance() {
        TestServer a = instance(), b = instance();
        JsonClient ann = join(a, "room=p&name=ann");
        JsonClient bob = join(b, "room=p&name=bob");
        Predicate<JsonNode> both = p -> p.get("online").asInt() == 2 && names(p).equals(List.of("ann", "bob"));
        ann.awaitPresence(both);
        bob.awaitPresence(both);
        bob.close();
        ann.awaitPresence(p -> p.get("online").asInt() == 1 && names(p).equals(List.of("ann")));
    }

    @Test
    void onePersonInTabsOnTwoInstancesCountsOnceAndTypingCrossesInstancesUnstored() throws Exception {
        TestServer a = instance(), b = instance();
        JsonClient zoe = join(a, "room=t&name=Zoe&person=browser-0001&client=tab-0000001");
        JsonClient again = join(b, "room=t&name=Zoe&person=browser-0001&client=tab-0000002");
        JsonClient bob = join(b, "room=t&name=bob");
        bob.awaitPresence(p -> p.get("online").asInt() == 2 && names(p).equals(List.of("bob", "Zoe")));
        zoe.socket().send("{\"type\":\"typing\",\"room\":\"t\"}");
        JsonNode typing = bob.next("typing");
        assertEquals("Zoe", typing.get("name").asText());
        assertEquals("t", typing.get("room").asText());
        again.close();
        try (JsonClient late = join(b, "room=t&name=late")) {
            late.assertNoMessage(Duration.ofMillis(300)); // no history of typing
        }
    }

    @Test
    void redisKilledAndRestartedDuringTrafficLosesNothingSilentlyAndDuplicatesNothing() throws Exception {
        TestServer a = instance(), b = instance();
        JsonClient sender = join(a, "room=k&name=sender");
        JsonClient reader = join(b, "room=k&name=reader");
        AtomicBoolean sending = new AtomicBoolean(true);
        AtomicInteger sent = new AtomicInteger();
        Thread traffic = new Thread(() -> {
            while (sending.get()) {
                sender.send("t" + sent.getAndIncrement());
                try {
                    Thread.sleep(60); // under the default rate limit
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        traffic.start();
        Thread.sleep(500);
        redis.kill();
        await("/health degraded", () -> health(a) == 503 && health(b) == 503);
        Thread.sleep(500);
        redis.start();
        await("/health ok again", () -> health(a) == 200 && health(b) == 200);
        Thread.sleep(500);
        sending.set(false);
        traffic.join();

        // Every send ends as exactly one of: delivered (the sender hears its own message) or refused.
        // Redis came back empty: members may also be told with a reset that what they saw is gone.
        Set<String> delivered = new HashSet<>();
        int refused = 0;
        while (delivered.size() + refused < sent.get()) {
            JsonNode frame = sender.next();
            if (frame.get("type").asText().equals("reset")) continue;
            if (frame.get("type").asText().equals("error")) {
                assertEquals("unavailable", frame.get("code").asText());
                refused++;
            } else {
                assertTrue(delivered.add(frame.get("text").asText()), "the sender heard a message twice: " + frame);
            }
        }
        assertTrue(refused > 0, "nothing was sent while Redis was down; the test proves nothing");
        assertTrue(delivered.size() > 10, "too little got through to prove recovery");
        Set<String> read = new HashSet<>();
        for (int i = 0; i < delivered.size(); i++) {
            JsonNode frame = reader.next();
            if (frame.get("type").asText().equals("reset")) frame = reader.next();
            String text = frame.get("text").asText();
            assertTrue(read.add(text), "delivered twice: " + text);
        }
        assertEquals(delivered, read, "what the sender saw delivered is what the other instance's client got");
        reader.assertNoMessage(java.time.Duration.ofMillis(300));
        sender.assertNoMessage(java.time.Duration.ofMillis(300));
    }

    @Test
    void twoPagesOnTwoInstancesTalkToEachOther() {
        TestServer a = instance(), b = instance();
        try (Browser browser = new Browser()) {
            Page onA = browser.newPage();
            Page onB = browser.newPage();
            onA.navigate("http://127.0.0.1:" + a.port() + "/#across");
            onB.navigate("http://127.0.0.1:" + b.port() + "/#across");
            for (Page page : List.of(onA, onB)) assertThat(page.locator("body")).hasAttribute("data-state", "connected");
            onA.locator("#text").fill("from instance A");
            onA.locator("#text").press("Enter");
            assertThat(onB.locator("#log li .text").last()).hasText("from instance A");
            onB.locator("#text").fill("from instance B");
            onB.locator("#text").press("Enter");
            assertThat(onA.locator("#log li .text")).hasText(new String[] {"from instance A", "from instance B"});
            assertThat(onA.locator("#online-count")).hasText("2");
        }
    }

    @Test
    void rediss_withASelfSignedCertificateWorksWithoutVerificationByDefault() throws Exception {
        try (RedisServer tls = new RedisServer(true)) {
            TestServer trusting = new TestServer(Map.of("REDIS_URL", tls.url()));
            instances.add(trusting);
            await("connected over TLS", () -> health(trusting) == 200);
            JsonClient client = join(trusting, "room=tls&name=t");
            client.send("over TLS");
            assertEquals("over TLS", client.next("message").get("text").asText());

            TestServer verifying = new TestServer(Map.of("REDIS_URL", tls.url(), "REDIS_TLS_VERIFY", "true"));
            instances.add(verifying);
            Thread.sleep(1500);
            assertEquals(503, health(verifying), "a self-signed certificate passed verification");
        }
    }

    @Test
    void startsDegradedWithoutRedisAndRecoversByItself() throws Exception {
        redis.kill();
        TestServer a = instance();
        assertEquals(503, health(a));
        JsonClient early = join(a, "room=s&name=early");
        redis.start();
        await("/health ok", () -> health(a) == 200);
        await("publishing works", () -> {
            early.send("hello");
            JsonNode frame = early.next();
            return frame.get("type").asText().equals("message");
        });
    }
}
