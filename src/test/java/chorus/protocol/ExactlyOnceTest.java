package chorus.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import chorus.support.ApiClient;
import chorus.support.JsonClient;
import chorus.support.RedisServer;
import chorus.support.TestServer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A send with a ref is delivered at most once, and its sender always learns its id. */
class ExactlyOnceTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static void send(JsonClient c, String text, String ref) {
        c.socket().send(JSON.createObjectNode().put("type", "send").put("text", text).put("ref", ref).toString());
    }

    /** The next sent frame, past the message frames the sender also receives. */
    private static JsonNode sent(JsonClient c) {
        JsonNode frame = c.next();
        while (!frame.get("type").asText().equals("sent")) frame = c.next();
        return frame;
    }

    @Test
    void aResendAfterReconnectingIsDeliveredOnceAndTheSenderGetsTheSameId() throws Exception {
        try (TestServer server = new TestServer(Map.of());
                JsonClient reader = JsonClient.connect(server, "room=once&name=reader")) {
            String id;
            try (JsonClient page = JsonClient.connect(server, "room=once&name=ann&client=page-0123456789")) {
                send(page, "only once", "r1");
                JsonNode sent = sent(page);
                assertEquals("r1", sent.get("ref").asText());
                assertFalse(sent.get("duplicate").asBoolean());
                id = sent.get("id").asText();
                JsonNode message = reader.next("message");
                assertEquals(id, message.get("id").asText());
                assertEquals(page.welcome().get("session").asText(), message.get("session").asText(),
                        "messages carry their sender's session");
            }
            // The connection dropped before the page saw the answer: it resends on a new socket.
            try (JsonClient again = JsonClient.connect(server, "room=once&name=ann&client=page-0123456789&since=" + id)) {
                send(again, "only once", "r1");
                JsonNode sent = sent(again);
                assertEquals(id, sent.get("id").asText());
                assertTrue(sent.get("duplicate").asBoolean());
                send(again, "a new one", "r2");
                assertEquals("a new one", reader.next("message").get("text").asText(), "the resend was delivered again");
            }
            // Another client may use the same ref: refs are per sender.
            try (JsonClient other = JsonClient.connect(server, "room=once&client=other-0123456789")) {
                send(other, "mine", "r1");
                assertEquals("mine", reader.next("message").get("text").asText());
            }
            reader.assertNoMessage(Duration.ofMillis(200));
        }
    }

    /** Session ids are on every message frame; one used as a client id must not claim that session's refs. */
    @Test
    void aClientIdCopiedFromAnotherSessionCannotSwallowItsMessages() throws Exception {
        try (TestServer server = new TestServer(Map.of());
                JsonClient reader = JsonClient.connect(server, "room=victim&name=reader");
                JsonClient victim = JsonClient.connect(server, "room=victim&name=ann")) {
            String session = victim.welcome().get("session").asText();
            try (JsonClient thief = JsonClient.connect(server, "room=victim&name=eve&client=" + session)) {
                send(thief, "the thief's", "r2");
                assertFalse(sent(thief).get("duplicate").asBoolean());
                assertEquals("the thief's", reader.next("message").get("text").asText());
            }
            send(victim, "the victim's", "r2");
            assertFalse(sent(victim).get("duplicate").asBoolean(), "the victim's message was taken for a duplicate");
            assertEquals("the victim's", reader.next("message").get("text").asText());
        }
    }

    @Test
    void theApisRefIsAtMostOnceToo() throws Exception {
        try (TestServer server = new TestServer(Map.of("API_TOKEN", ApiClient.TOKEN));
                JsonClient reader = JsonClient.connect(server, "room=api")) {
            String body = "{\"text\":\"deploy done\",\"ref\":\"deploy-42\"}";
            HttpResponse<String> first = ApiClient.call(server, "POST", "/api/rooms/api/messages", body, ApiClient.TOKEN);
            HttpResponse<String> again = ApiClient.call(server, "POST", "/api/rooms/api/messages", body, ApiClient.TOKEN);
            assertEquals(201, first.statusCode());
            assertEquals(200, again.statusCode(), again.body());
            assertEquals(JSON.readTree(first.body()).get("id"), JSON.readTree(again.body()).get("id"));
            assertTrue(JSON.readTree(again.body()).get("duplicate").asBoolean());
            assertEquals("deploy done", reader.next("message").get("text").asText());
            reader.assertNoMessage(Duration.ofMillis(300));
            HttpResponse<String> bad = ApiClient.call(server, "POST", "/api/rooms/api/messages",
                    "{\"text\":\"x\",\"ref\":\"no spaces\"}", ApiClient.TOKEN);
            assertEquals(400, bad.statusCode());
            assertEquals("ref", JSON.readTree(bad.body()).get("field").asText());
        }
    }

    @Test
    void withRedisAResendToAnotherInstanceIsDeliveredOnce() throws Exception {
        try (RedisServer redis = new RedisServer();
                TestServer a = new TestServer(Map.of("REDIS_URL", redis.url()));
                TestServer b = new TestServer(Map.of("REDIS_URL", redis.url()));
                JsonClient reader = JsonClient.connect(b, "room=spread")) {
            String id;
            try (JsonClient page = JsonClient.connect(a, "room=spread&client=page-0123456789")) {
                send(page, "once across", "x1");
                JsonNode sent = sent(page);
                id = sent.get("id").asText();
                assertEquals(page.welcome().get("session").asText(), reader.next("message").get("session").asText());
            }
            try (JsonClient moved = JsonClient.connect(b, "room=spread&client=page-0123456789&since=" + id)) {
                send(moved, "once across", "x1");
                JsonNode sent = sent(moved);
                assertEquals(id, sent.get("id").asText());
                assertTrue(sent.get("duplicate").asBoolean());
            }
            reader.assertNoMessage(Duration.ofMillis(300));
        }
    }

    @Test
    void duringARedisHangTheOutcomeIsUnknownAndAResendWithTheRefIsDeliveredOnce() throws Exception {
        try (RedisServer redis = new RedisServer();
                TestServer server = new TestServer(Map.of("REDIS_URL", redis.url()));
                JsonClient reader = JsonClient.connect(server, "room=hang");
                JsonClient page = JsonClient.connect(server, "room=hang&client=page-0123456789")) {
            redis.hang();
            try {
                send(page, "sent into the hang", "h1");
                JsonNode error = page.next("error"); // after the command timeout
                assertEquals("unknown", error.get("code").asText(), "a timeout is not a certain refusal: " + error);
                assertEquals("h1", error.get("ref").asText());
            } finally {
                redis.wake();
            }
            // Redis ran the queued command when it woke: the message went out after all.
            assertEquals("sent into the hang", reader.next("message").get("text").asText());
            send(page, "sent into the hang", "h1"); // as told: resend with the same ref
            JsonNode sent = sent(page);
            assertTrue(sent.get("duplicate").asBoolean(), "the resend was delivered a second time");
            reader.assertNoMessage(Duration.ofMillis(300));
        }
    }

    @Test
    void everySendOverTheConnectionsBudgetIsAnsweredWithItsRef() throws Exception {
        try (TestServer server = new TestServer(Map.of("RATE_LIMIT_PER_SECOND", "1", "RATE_LIMIT_BURST", "2"));
                JsonClient c = JsonClient.connect(server, "room=budget")) {
            for (int i = 0; i < 4; i++) send(c, "m" + i, "ref-" + i);
            java.util.Set<String> answered = new java.util.TreeSet<>();
            int refused = 0;
            while (answered.size() < 4) {
                JsonNode frame = c.next();
                String type = frame.get("type").asText();
                if (type.equals("message")) continue;
                assertTrue(frame.hasNonNull("ref"), "an answer without its ref: " + frame);
                answered.add(frame.get("ref").asText());
                if (type.equals("error")) {
                    assertEquals("rate-limited", frame.get("code").asText());
                    refused++;
                }
            }
            assertEquals(java.util.Set.of("ref-0", "ref-1", "ref-2", "ref-3"), answered);
            assertEquals(2, refused);
        }
    }

    @Test
    void aMalformedRefOrClientIsRefused() throws Exception {
        try (TestServer server = new TestServer(Map.of()); JsonClient c = JsonClient.connect(server, "room=r")) {
            send(c, "x", "has spaces");
            JsonNode error = c.next("error");
            assertEquals("bad-message", error.get("code").asText());
            assertEquals(400, chorus.support.WsClient.refusedStatus(java.net.URI.create(server.ws() + "?client=short"), Map.of()));
        }
    }

    private static void resend(JsonClient c, String text, String ref, long age) {
        c.socket().send(JSON.createObjectNode().put("type", "send").put("text", text).put("ref", ref).put("age", age).toString());
    }

    /** The next error frame, past the message frames the sender also receives. */
    private static JsonNode error(JsonClient c) {
        JsonNode frame = c.next();
        while (!frame.get("type").asText().equals("error")) frame = c.next();
        return frame;
    }

    /**
     * The ref window is a time in both modes: in memory, a resend 150 messages later (with 100
     * kept) gets the first id back (it was refused ref-expired when refs were those of the history,
     * and delivered twice before that). A resend whose ref the server may have forgotten is
     * answered ref-expired and not delivered: past the window, or from before the room's epoch.
     */
    @Test
    void aResendTheServerCannotVouchForIsRefusedNotDeliveredTwice() throws Exception {
        Map<String, String> fast = Map.of("RATE_LIMIT_PER_SECOND", "100000", "RATE_LIMIT_BURST", "100000",
                "RATE_LIMIT_PER_ADDRESS", "100000");
        try (TestServer server = new TestServer(fast);
                JsonClient ann = JsonClient.connect(server, "room=old&name=ann&client=client-kept-1");
                JsonClient bob = JsonClient.connect(server, "room=old&name=bob")) {
            assertEquals(900, ann.welcome().get("refWindow").asInt(), "the welcome announces the window, in seconds");
            send(ann, "first", "r-first");
            String id = sent(ann).get("id").asText();
            for (int i = 0; i < 150; i++) ann.socket().send("{\"type\":\"send\",\"text\":\"later " + i + "\"}");
            for (int i = 0; i < 151; i++) bob.next("message");
            resend(ann, "first", "r-first", 2_000);
            JsonNode again = sent(ann);
            assertEquals(id, again.get("id").asText(), "a resend 150 messages later, within the window: " + again);
            assertTrue(again.get("duplicate").asBoolean());
            bob.assertNoMessage(java.time.Duration.ofMillis(300));
            resend(ann, "first", "r-late", 16 * 60_000);
            JsonNode refused = error(ann);
            assertEquals("ref-expired", refused.get("code").asText(), "a ref first sent 16 minutes ago");
            assertEquals("r-late", refused.get("ref").asText());
            bob.assertNoMessage(java.time.Duration.ofMillis(300));
        }
        try (RedisServer redis = new RedisServer();
                TestServer server = new TestServer(Map.of("REDIS_URL", redis.url()));
                JsonClient ann = JsonClient.connect(server, "room=old&name=ann&client=client-kept-2")) {
            send(ann, "first", "r-first");
            JsonNode id = sent(ann);
            resend(ann, "first", "r-first", 1_000);
            assertEquals(id.get("id").asText(), sent(ann).get("id").asText(), "a resend within the window");
            resend(ann, "first", "r-late", 16 * 60_000);
            assertEquals("ref-expired", error(ann).get("code").asText(), "a ref first sent 16 minutes ago");
            resend(ann, "second", "r-before", 10 * 60_000);
            assertEquals("ref-expired", error(ann).get("code").asText(), "a ref first sent before the room's epoch began");
        }
    }

    /**
     * A room's refs in Redis are bounded (REDIS_MAX_REFS, 5 000 by default; 50 here): past it the oldest goes early, and a
     * resend of it is refused ref-expired, not delivered again; a newer one is still a duplicate.
     */
    @Test
    void aRoomKeepsAtMostItsBoundOfRefsAndSaysSoForTheOnesItDropped() throws Exception {
        try (RedisServer redis = new RedisServer();
                TestServer server = new TestServer(Map.of("REDIS_URL", redis.url(), "REDIS_MAX_REFS", "50",
                        "RATE_LIMIT_PER_SECOND", "1000", "RATE_LIMIT_BURST", "1000"));
                JsonClient ann = JsonClient.connect(server, "room=many&name=ann&client=client-many-1")) {
            long start = System.currentTimeMillis();
            int count = 55;
            String last = null;
            for (int i = 0; i < count; i++) {
                send(ann, "m" + i, "r" + i);
                last = sent(ann).get("id").asText();
            }
            resend(ann, "m0", "r0", System.currentTimeMillis() - start);
            assertEquals("ref-expired", error(ann).get("code").asText(), "the oldest ref, past the bound");
            resend(ann, "m" + (count - 1), "r" + (count - 1), 1_000);
            JsonNode again = sent(ann);
            assertEquals(last, again.get("id").asText(), "the newest ref is kept: " + again);
            assertTrue(again.get("duplicate").asBoolean());
        }
    }
}
