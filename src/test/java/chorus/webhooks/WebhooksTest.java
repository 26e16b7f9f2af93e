package chorus.webhooks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import chorus.support.ApiClient;
import chorus.support.JsonClient;
import chorus.support.Receiver;
import chorus.support.TestServer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Webhooks and the publish hook (#31), against a real HTTP receiver on loopback and the real server. */
class WebhooksTest {
    static final String SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    private final Receiver receiver = new Receiver();
    private final List<AutoCloseable> open = new ArrayList<>();
    private TestServer server;

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable c : open) c.close();
        if (server != null) server.close();
        receiver.close();
    }

    private TestServer server(String... settings) {
        Map<String, String> env = new HashMap<>(Map.of("WEBHOOK_URL", receiver.url(), "WEBHOOK_SECRET", SECRET,
                "RATE_LIMIT_PER_SECOND", "1000", "RATE_LIMIT_BURST", "1000", "RATE_LIMIT_PER_ADDRESS", "10000", "API_TOKEN", ApiClient.TOKEN));
        for (int i = 0; i < settings.length; i += 2) env.put(settings[i], settings[i + 1]);
        server = new TestServer(env);
        return server;
    }

    private JsonClient join(String query) {
        JsonClient client = JsonClient.connect(server, query);
        open.add(client);
        return client;
    }

    /** What the standardwebhooks npm package makes of a delivery: the payload it verified, or its error. */
    private static String verify(Receiver.Request delivery) throws Exception {
        ProcessBuilder run = new ProcessBuilder("node", "--input-type=module", "-e", """
                import { Webhook } from "standardwebhooks";
                const headers = { "webhook-id": process.env.ID, "webhook-timestamp": process.env.TS, "webhook-signature": process.env.SIG };
                try {
                  console.log(JSON.stringify(new Webhook(process.env.SECRET).verify(process.env.BODY, headers)));
                } catch (e) {
                  console.log("refused: " + e.message);
                }
                """).directory(new File("src/test/js")).redirectErrorStream(true);
        run.environment().putAll(Map.of("SECRET", SECRET, "BODY", delivery.body(), "ID", delivery.header("webhook-id"),
                "TS", delivery.header("webhook-timestamp"), "SIG", delivery.header("webhook-signature")));
        Process node = run.start();
        node.getOutputStream().close();
        String out = new String(node.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertTrue(node.waitFor(30, TimeUnit.SECONDS));
        return out;
    }

    @Test
    void aMessageProducesOneSignedMessageCreatedThatTheStandardWebhooksPackageVerifies() throws Exception {
        server("WEBHOOK_EVENTS", "message.created");
        JsonClient ann = join("room=hooks&name=ann&client=ann-tab-0001");
        ann.send("hooks", "hello backend", "ref-1");
        String id = ann.next("message").get("id").asText();
        Receiver.Request delivery = receiver.await("message.created", 1, Duration.ofSeconds(10)).get(0);
        JsonNode data = delivery.json().get("data");
        assertEquals(Map.of("room", "hooks", "id", id, "text", "hello backend", "from", "ann", "client", "ann-tab-0001"),
                Map.of("room", data.get("room").asText(), "id", data.get("id").asText(), "text", data.get("text").asText(),
                        "from", data.get("from").asText(), "client", data.get("client").asText()));
        String verified = verify(delivery);
        assertEquals(delivery.json(), new ObjectMapper().readTree(verified), verified);
        // A body changed on the way is refused by the same package.
        Receiver.Request forged = new Receiver.Request(delivery.headers(), delivery.body().replace("hello", "HELLO"), 0);
        assertTrue(verify(forged).startsWith("refused"), "a forged body verified");
        Thread.sleep(300);
        assertEquals(1, receiver.ofType("message.created").size(), "one event for one message");
    }

    @Test
    void aReceiverThatFailsAWhileGetsEveryEventOnceByIdInOrderPerRoom() throws Exception {
        server("WEBHOOK_EVENTS", "message.created");
        // 5 s in the suite; the 20 s with -Dchorus.outageSeconds=20 (then the 31 s retry takes them).
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(Integer.getInteger("chorus.outageSeconds", 5));
        receiver.answer(r -> Receiver.Answer.status(System.nanoTime() < until ? 500 : 204));
        JsonClient ann = join("room=r1&name=ann");
        ann.join("r2", null);
        ann.next("welcome");
        List<String> sent = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            for (String room : List.of("r1", "r2")) {
                ann.send(room, room + "-" + i, null);
                sent.add(room + "-" + i);
            }
        }
        long deadline = until + TimeUnit.SECONDS.toNanos(40);
        List<Receiver.Request> taken;
        do {
            Thread.sleep(100);
            taken = receiver.ofType("message.created").stream().filter(r -> r.atNanos() >= until).toList();
        } while (taken.size() < sent.size() && System.nanoTime() < deadline);
        Set<String> ids = assertOnceByIdInOrderPerRoom(taken, sent);
        // Every try of one event carried the same id.
        Set<String> tried = new LinkedHashSet<>();
        receiver.ofType("message.created").forEach(r -> tried.add(r.header("webhook-id")));
        assertEquals(ids, tried);
    }

    @Test
    void aReceiverThatHangsNeverSlowsTheRoom() throws Exception {
        server("WEBHOOK_URL", "");
        long without = fiftyToABystander("calm");
        server.close();
        server("WEBHOOK_EVENTS", "message.created");
        receiver.answer(r -> new Receiver.Answer(204, "", Duration.ofSeconds(30)));
        long with = fiftyToABystander("hang");
        System.out.printf("50 messages reached a bystander in %d ms while the receiver hung (%d ms without webhooks)%n", with, without);
        receiver.await("message.created", 1, Duration.ofSeconds(5)); // deliveries were under way, hanging
    }

    /** Milliseconds for 50 messages from one member to reach another, each in order. */
    private long fiftyToABystander(String room) {
        JsonClient ann = join("room=" + room + "&name=ann");
        JsonClient bob = join("room=" + room + "&name=bob");
        for (int i = 0; i < 20; i++) ann.send("warm-up"); // the same path warmed in both runs
        bob.messages(20);
        long start = System.nanoTime();
        for (int i = 0; i < 50; i++) ann.send("m" + i);
        for (int i = 0; i < 50; i++) assertEquals("m" + i, bob.next("message").get("text").asText());
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    }

    @Test
    void aPersonWithTwoTabsIsOnlineOnceAndOfflineOnlyWhenBothCloseAfterTheGrace() throws Exception {
        server("OFFLINE_GRACE", "1s");
        JsonClient one = join("room=on&name=zoe&person=browser-zoe-1&client=tab-zoe-0001");
        JsonClient two = join("room=on&name=zoe&person=browser-zoe-1&client=tab-zoe-0002");
        two.join("elsewhere", null);
        receiver.await("user.online", 1, Duration.ofSeconds(5));
        receiver.await("room.occupied", 2, Duration.ofSeconds(5));
        one.close();
        Thread.sleep(1800); // past the grace: the other tab is still in
        assertEquals(0, receiver.ofType("user.offline").size());
        two.close();
        List<Receiver.Request> offline = receiver.await("user.offline", 1, Duration.ofSeconds(5));
        assertEquals("person:browser-zoe-1", offline.get(0).json().get("data").get("person").asText());
        receiver.await("room.vacated", 2, Duration.ofSeconds(5));
        Thread.sleep(1500);
        assertEquals(1, receiver.ofType("user.offline").size(), "offline once");
        assertEquals(1, receiver.ofType("user.online").size(), "online once");
        assertEquals(1, receiver.ofType("member.joined").stream().filter(r -> r.json().get("data").get("room").asText().equals("on")).count(),
                "one person joined room on, in two tabs");
    }

    @Test
    void aReloadWithinTheGraceIsNoOffline() throws Exception {
        server("OFFLINE_GRACE", "2s");
        JsonClient before = join("room=reload&name=ann&person=browser-ann-1");
        receiver.await("user.online", 1, Duration.ofSeconds(5));
        before.close();
        Thread.sleep(500);
        join("room=reload&name=ann&person=browser-ann-1");
        Thread.sleep(3000);
        assertEquals(0, receiver.ofType("user.offline").size());
        assertEquals(1, receiver.ofType("user.online").size());
    }

    @Test
    void pastTheByteBoundTheOldestEventsAreDroppedCountedAndTheNextDeliverySaysHowMany() throws Exception {
        server("WEBHOOK_EVENTS", "message.created", "WEBHOOK_QUEUE_BYTES", "65536");
        overflow(receiver, join("room=full&name=ann"));
        JsonNode status = new ObjectMapper().readTree(ApiClient.call(server, "GET", "/api/webhooks", null, ApiClient.TOKEN).body());
        assertTrue(status.get("queuedBytes").asLong() <= 65536, status.toString());
        assertTrue(status.get("dropped").asLong() > 200, status.toString());
        assertNotNull(status.get("lastFailure").get("result"), status.toString());
        assertTrue(ApiClient.call(server, "GET", "/metrics", null, ApiClient.TOKEN).body().contains("chorus_webhook_dropped"));
        assertTheNextDeliverySaysDropped(receiver, status.get("dropped").asLong());
    }

    /**
     * The message.created taken are each of the texts sent once (by webhook-id), each room's in the
     * order sent (a text begins with its room's name); their ids.
     */
    static Set<String> assertOnceByIdInOrderPerRoom(List<Receiver.Request> taken, List<String> sent) {
        Set<String> ids = new LinkedHashSet<>();
        Map<String, List<String>> perRoom = new HashMap<>();
        for (Receiver.Request r : taken) {
            assertTrue(ids.add(r.header("webhook-id")), "taken twice: " + r.header("webhook-id"));
            JsonNode data = r.json().get("data");
            perRoom.computeIfAbsent(data.get("room").asText(), k -> new ArrayList<>()).add(data.get("text").asText());
        }
        assertEquals(sent.size(), ids.size(), "every event, once: " + perRoom);
        for (String room : perRoom.keySet()) {
            assertEquals(sent.stream().filter(t -> t.startsWith(room + "-")).toList(), perRoom.get(room), "in order in " + room);
        }
        return ids;
    }

    /** 300 message.created of 1 KB each, against a receiver that answers 503: far past a 64 KiB bound. */
    static void overflow(Receiver receiver, JsonClient sender) {
        receiver.answer(r -> Receiver.Answer.status(503));
        String text = "x".repeat(1000);
        for (int i = 0; i < 300; i++) sender.send(text);
        sender.messages(300);
    }

    /** The receiver takes again: the first delivery after that says how many events were dropped. */
    static void assertTheNextDeliverySaysDropped(Receiver receiver, long dropped) throws InterruptedException {
        long back = System.nanoTime();
        receiver.answer(r -> Receiver.Answer.status(204));
        Receiver.Request next = null;
        for (int i = 0; i < 100 && next == null; i++) {
            Thread.sleep(100);
            next = receiver.requests.stream().filter(r -> r.atNanos() > back && r.header("chorus-dropped") != null).findFirst().orElse(null);
        }
        assertNotNull(next, "no delivery said how many were dropped");
        assertEquals(dropped, Long.parseLong(next.header("chorus-dropped")));
    }

    @Test
    void theDocsReceiverRunsAsWrittenStoresMessagesAndSaysWhoHasUnreadOnOffline() throws Exception {
        File script = new File("src/test/js/receiver.mjs");
        java.nio.file.Files.writeString(script.toPath(), chorus.support.Docs.example("WEBHOOKS.md", "example:receiver"));
        script.deleteOnExit();
        int port;
        try (java.net.ServerSocket free = new java.net.ServerSocket(0)) {
            port = free.getLocalPort();
        }
        ProcessBuilder run = new ProcessBuilder("node", "receiver.mjs").directory(new File("src/test/js")).redirectErrorStream(true);
        run.environment().putAll(Map.of("WEBHOOK_SECRET", SECRET, "PORT", Integer.toString(port)));
        Process node = run.start();
        java.util.concurrent.BlockingQueue<String> lines = new java.util.concurrent.LinkedBlockingQueue<>();
        Thread reader = new Thread(() -> new java.io.BufferedReader(new java.io.InputStreamReader(node.getInputStream(), StandardCharsets.UTF_8))
                .lines().forEach(lines::add), "receiver-output");
        reader.setDaemon(true);
        reader.start();
        try {
            assertEquals("listening", lines.poll(10, TimeUnit.SECONDS));
            server("WEBHOOK_URL", "http://127.0.0.1:" + port + "/chorus-events", "OFFLINE_GRACE", "1s");
            JsonClient ann = join("room=docs&name=ann");
            JsonClient bob = join("room=docs&name=bob&person=browser-bob-01");
            ann.awaitPresence(p -> p.get("online").asInt() == 2); // the round that says bob came (a person there for less is no join)
            ann.send("one for bob");
            ann.send("two for bob");
            bob.messages(2);
            bob.close();
            assertEquals("notify person:browser-bob-01: you have 2 unread messages", lines.poll(10, TimeUnit.SECONDS),
                    "the receiver said: " + lines + "; " + ApiClient.call(server, "GET", "/api/webhooks", null, ApiClient.TOKEN).body());
        } finally {
            node.destroy();
            node.waitFor(5, TimeUnit.SECONDS);
        }
    }

    @Test
    void thePublishHookRejectsAWordAndReplacesAText() throws Exception {
        server("PUBLISH_HOOK_URL", receiver.url(), "WEBHOOK_URL", "");
        receiver.answer(r -> {
            String text = r.json().get("data").get("text").asText();
            if (text.contains("darn")) return new Receiver.Answer(200, "{\"action\":\"reject\",\"reason\":\"no swearing here\"}", Duration.ZERO);
            if (text.equals("shout")) return new Receiver.Answer(200, "{\"action\":\"allow\",\"text\":\"SHOUT\"}", Duration.ZERO);
            return Receiver.Answer.status(204);
        });
        JsonClient ann = join("room=mod&name=ann");
        JsonClient bob = join("room=mod&name=bob");
        ann.send("mod", "darn it", "r-1");
        JsonNode error = ann.next("error");
        assertEquals("rejected", error.get("code").asText());
        assertEquals("no swearing here", error.get("message").asText());
        assertEquals("r-1", error.get("ref").asText());
        ann.send("shout");
        ann.send("fine");
        assertEquals("SHOUT", bob.next("message").get("text").asText());
        assertEquals("fine", bob.next("message").get("text").asText(), "nobody saw the rejected one");
        Receiver.Request asked = receiver.requests.get(0);
        assertEquals("message.publishing", asked.json().get("type").asText());
        assertFalse(verify(asked).startsWith("refused"), "the hook's request is signed too");
    }

    @Test
    void aPublishHookThatTimesOutRejectsOrAllowsAsThePolicySays() throws Exception {
        receiver.answer(r -> new Receiver.Answer(204, "", Duration.ofSeconds(5)));
        server("PUBLISH_HOOK_URL", receiver.url(), "WEBHOOK_URL", "", "PUBLISH_HOOK_TIMEOUT", "300ms", "PUBLISH_HOOK_ON_FAILURE", "reject");
        JsonClient ann = join("room=slow&name=ann");
        ann.send("slow", "waits", "r-1");
        JsonNode error = ann.next("error");
        assertEquals("rejected", error.get("code").asText());
        server.close();
        server("PUBLISH_HOOK_URL", receiver.url(), "WEBHOOK_URL", "", "PUBLISH_HOOK_TIMEOUT", "300ms", "PUBLISH_HOOK_ON_FAILURE", "allow");
        JsonClient bob = join("room=slow&name=bob");
        bob.send("slow", "goes anyway", "r-2");
        assertEquals("goes anyway", bob.next("message").get("text").asText());
        String metrics = ApiClient.call(server, "GET", "/metrics", null, ApiClient.TOKEN).body();
        assertTrue(metrics.contains("chorus_publish_hook_failures_total 1.0"), metrics.lines().filter(l -> l.contains("hook")).toList().toString());
    }
}
