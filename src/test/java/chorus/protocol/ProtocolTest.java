package chorus.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import chorus.support.JsonClient;
import chorus.support.TestServer;
import chorus.support.WsClient;
import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.LockSupport;
import java.util.Map;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ProtocolTest {
    private TestServer server = new TestServer(Map.of("RATE_LIMIT_PER_SECOND", "10000", "RATE_LIMIT_BURST", "10000", "RATE_LIMIT_PER_ADDRESS", "100000"));
    private final List<AutoCloseable> open = new ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable c : open) c.close();
        server.close();
    }

    private JsonClient join(String query) {
        JsonClient client = JsonClient.connect(server, query);
        open.add(client);
        return client;
    }

    private static long seq(JsonNode message) {
        return MessageId.parse(message.get("id").asText()).seq();
    }

    private static List<String> names(JsonNode presence) {
        return StreamSupport.stream(presence.get("names").spliterator(), false).map(JsonNode::asText).toList();
    }

    @Test
    void welcomeComesFirstWithSessionNameRoomAndCount() {
        join("room=lobby&name=ann");
        JsonClient bob = join("room=lobby&name=%20bob%20");
        JsonNode welcome = bob.welcome();
        assertEquals("bob", welcome.get("name").asText(), "names are trimmed");
        assertEquals("lobby", welcome.get("room").asText());
        assertEquals(2, welcome.get("online").asInt());
        assertFalse(welcome.get("session").asText().isEmpty());
        assertTrue(join("").welcome().get("name").asText().startsWith("guest-"));
        assertEquals("main", join("").welcome().get("room").asText());
    }

    @Test
    void roomsAreIsolated() throws Exception {
        JsonClient a = join("room=x&name=a");
        JsonClient b = join("room=y&name=b");
        JsonClient c = join("room=x&name=c");
        a.send("for x");
        b.send("for y");
        JsonNode atC = c.next("message");
        assertEquals("for x", atC.get("text").asText());
        assertEquals("a", atC.get("from").asText());
        assertEquals("x", atC.get("room").asText());
        assertEquals("for y", b.next("message").get("text").asText());
        assertEquals("for x", a.next("message").get("text").asText());
        c.send("again x");
        assertEquals("again x", a.next("message").get("text").asText());
        assertEquals("again x", c.next("message").get("text").asText());
        b.assertNoMessage(Duration.ofMillis(300));
    }

    @Test
    void presenceFollowsJoinLeaveAndRename() {
        JsonClient ann = join("room=p&name=ann");
        ann.awaitPresence(p -> p.get("online").asInt() == 1 && names(p).equals(List.of("ann")));
        JsonClient bob = join("room=p&name=bob");
        ann.awaitPresence(p -> p.get("online").asInt() == 2 && names(p).equals(List.of("ann", "bob")));
        bob.rename("robert");
        ann.awaitPresence(p -> names(p).equals(List.of("ann", "robert")));
        bob.send("renamed");
        assertEquals("robert", ann.next("message").get("from").asText());
        bob.close();
        ann.awaitPresence(p -> p.get("online").asInt() == 1 && names(p).equals(List.of("ann")));
    }

    @Test
    void historyOnJoinThenLive() {
        JsonClient sender = join("room=h&name=s");
        for (int i = 0; i < 5; i++) sender.send("old " + i);
        sender.messages(5);
        JsonClient late = join("room=h&name=late");
        List<JsonNode> history = late.messages(5);
        for (int i = 0; i < 5; i++) assertEquals("old " + i, history.get(i).get("text").asText());
        sender.send("new");
        assertEquals("new", late.next("message").get("text").asText());
        assertEquals(seq(history.get(4)) + 1, seq(sender.next("message")), "ids count up by one");
    }

    @Test
    void joiningWhileOthersSendHasNoGapAndNoDuplicateAtTheSeam() throws Exception {
        JsonClient a = join("room=seam&name=a");
        JsonClient b = join("room=seam&name=b");
        int total = 400;
        java.util.concurrent.atomic.AtomicInteger sent = new java.util.concurrent.atomic.AtomicInteger();
        Thread senders = new Thread(() -> {
            for (int i = 0; i < total / 2; i++) {
                a.send("a" + i);
                b.send("b" + i);
                sent.addAndGet(2);
                if (i % 5 == 4) LockSupport.parkNanos(1_000_000); // leave the joiners room to overlap
            }
        });
        senders.start();
        List<JsonClient> joiners = new ArrayList<>();
        for (int j = 0; j < 5; j++) {
            int at = 60 + 60 * j; // join while sends go on, some after more than a history's worth
            while (sent.get() < at && senders.isAlive()) Thread.onSpinWait();
            joiners.add(join("room=seam&name=j" + j));
        }
        senders.join();
        long latestFirst = 0;
        for (JsonClient joiner : joiners) {
            long first = seq(joiner.next("message"));
            long expected = first + 1;
            while (expected <= total) assertEquals(expected++, seq(joiner.next("message")), "gap or duplicate");
            latestFirst = Math.max(latestFirst, first);
        }
        assertTrue(latestFirst > 1, "no joiner joined after a history's worth was sent: the seam was never tested");
    }

    @Test
    void resumeWithSinceGetsExactlyWhatWasMissed() throws Exception {
        JsonClient stays = join("room=r&name=stays");
        JsonClient leaves = join("room=r&name=leaves");
        stays.send("seen");
        String lastSeen = leaves.next("message").get("id").asText();
        stays.next("message");
        leaves.close();
        // Its name is free once the server has seen it go (CI once saw the rejoin refused before that).
        server.awaitConnections(1);
        for (int i = 0; i < 50; i++) stays.send("missed " + i);
        stays.messages(50);

        JsonClient back = join("room=r&name=leaves&since=" + lastSeen);
        List<JsonNode> missed = back.messages(50);
        for (int i = 0; i < 50; i++) assertEquals("missed " + i, missed.get(i).get("text").asText());
        stays.send("live");
        assertEquals("live", back.next("message").get("text").asText(), "not exactly 50, or no live after");
    }

    @Test
    void sinceOlderThanHistoryOrFromAnEarlierEpochGetsResetThenHistory() {
        server.close();
        server = new TestServer(Map.of("HISTORY_SIZE", "10", "RATE_LIMIT_BURST", "100"));
        JsonClient sender = join("room=old&name=s");
        for (int i = 0; i < 30; i++) sender.send("m" + i);
        List<JsonNode> all = sender.messages(30);

        JsonClient behind = join("room=old&since=" + all.get(2).get("id").asText());
        JsonNode reset = behind.next("reset");
        assertEquals("history-exceeded", reset.get("reason").asText());
        assertEquals(all.get(20).get("id").asText(), reset.get("oldest").asText());
        List<JsonNode> history = behind.messages(10);
        assertEquals("m20", history.get(0).get("text").asText());
        assertEquals("m29", history.get(9).get("text").asText());

        JsonClient stale = join("room=old&since=1000-5");
        assertEquals("unknown-since", stale.next("reset").get("reason").asText());
        assertEquals("m20", stale.next("message").get("text").asText());

        JsonClient current = join("room=old&since=" + all.get(29).get("id").asText());
        sender.send("after");
        assertEquals("after", current.next("message").get("text").asText(), "a current since replays nothing");
    }

    @Test
    void malformedFramesGetTheirErrorAndTheConnectionCarriesOn() {
        JsonClient bystander = join("room=m&name=by");
        JsonClient sloppy = join("room=m&name=sloppy");
        sloppy.socket().send("{not json");
        assertEquals("bad-json", sloppy.next("error").get("code").asText());
        sloppy.socket().send("{\"type\":\"shout\",\"text\":\"hi\"}");
        assertEquals("unknown-type", sloppy.next("error").get("code").asText());
        sloppy.socket().send("{\"type\":\"send\"}");
        assertEquals("bad-message", sloppy.next("error").get("code").asText());
        sloppy.send("x".repeat(16 * 1024 + 1));
        JsonNode tooLong = sloppy.next("error");
        assertEquals("too-long", tooLong.get("code").asText());
        assertTrue(tooLong.get("message").asText().contains("16384"));
        sloppy.rename("   ");
        assertEquals("bad-name", sloppy.next("error").get("code").asText());

        sloppy.send("fine now");
        assertEquals("fine now", sloppy.next("message").get("text").asText());
        assertEquals("fine now", bystander.next("message").get("text").asText(), "the bystander saw an error");
    }

    @Test
    void rateLimitedFramesGetAnErrorFrame() {
        server.close();
        server = new TestServer(Map.of("RATE_LIMIT_PER_SECOND", "1", "RATE_LIMIT_BURST", "3"));
        JsonClient fast = join("room=rl&name=fast");
        for (int i = 0; i < 4; i++) fast.send("m" + i);
        fast.messages(3);
        assertEquals("rate-limited", fast.next("error").get("code").asText());
        assertFalse(fast.socket().isClosed());
    }

    @Test
    void badQueryParametersGet400() {
        for (String query : new String[] {"room=has%20space", "room=" + "r".repeat(65), "room=", "name=",
                "name=" + "n".repeat(33), "name=a%07b", "since=yesterday", "since=12"}) {
            URI uri = URI.create(server.ws() + "?" + query);
            assertEquals(400, WsClient.refusedStatus(uri, Map.of()), query);
        }
        String longest = URLEncoder.encode("ü".repeat(32), StandardCharsets.UTF_8);
        assertEquals("ü".repeat(32), join("name=" + longest).welcome().get("name").asText());
    }

    @Test
    void plainAndJsonClientsInOneRoomSeeEachOther() {
        JsonClient json = join("room=mix&name=jay");
        WsClient plain = WsClient.connect(URI.create(server.ws() + "?room=mix&name=pete"));
        open.add(plain);
        assertEquals("", plain.subprotocol());
        plain.send("from plain");
        JsonNode atJson = json.next("message");
        assertEquals("from plain", atJson.get("text").asText());
        assertEquals("pete", atJson.get("from").asText());
        assertTrue(MessageId.parse(atJson.get("id").asText()) != null);
        assertEquals("from plain", plain.next());
        json.send("from json");
        assertEquals("from json", plain.next(), "plain clients get the bare text");
    }

    @Test
    void aPingInJsonIsAnsweredWithAPongSoAPageCanTellItsConnectionIsAlive() {
        try (JsonClient ann = JsonClient.connect(server, "room=alive&name=ann")) {
            ann.socket().send("{\"type\":\"ping\"}");
            assertEquals("{\"type\":\"pong\"}", ann.next("pong").toString());
        }
    }
}
