package chorus.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import chorus.support.JsonClient;
import chorus.support.RedisServer;
import chorus.support.TestServer;
import com.fasterxml.jackson.databind.JsonNode;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Rooms with an epoch and a contiguous offset, on a real Redis and several instances: what a
 * member missed is either handed over, in order, or said with a reset; never skipped in silence.
 */
class EpochTest {
    private static final Map<String, String> FAST = Map.of("RATE_LIMIT_PER_SECOND", "100000", "RATE_LIMIT_BURST", "100000",
            "RATE_LIMIT_PER_ADDRESS", "100000");

    private static Map<String, String> env(RedisServer redis) {
        Map<String, String> env = new java.util.HashMap<>(FAST);
        env.put("REDIS_URL", redis.url());
        return env;
    }

    /**
     * Messages in order up to the last sent, where every jump past a missing one comes after a
     * reset: what a member missed is said.
     */
    private static void everyGapIsSaid(JsonClient watcher, int sent) {
        int expected = 0;
        boolean told = false;
        while (expected < sent) {
            JsonNode frame = watcher.next();
            if (frame.get("type").asText().equals("reset")) {
                told = true;
                continue;
            }
            if (!frame.get("type").asText().equals("message")) continue;
            int i = Integer.parseInt(frame.get("text").asText().substring(0, 6));
            assertTrue(i == expected || told && i > expected, "message " + expected + " was skipped without a reset, then " + i);
            if (i != expected) told = false; // a reset covers one hole
            expected = i + 1;
        }
    }

    /**
     * Watchers of a new room on one instance; its subscriber is dropped by Redis (a small pub/sub
     * output buffer) during a burst of 500 × 8 KB from another instance, of which the log keeps
     * the last 100 or so: the watchers get a reset before the jump (they used to end with the last
     * 100 and no reset: the check for a missing head ran only once something had been handed over).
     */
    @Test
    void aSubscriberDroppedWhileItsRoomIsEmptyStillSaysWhatWasLost() throws Exception {
        try (RedisServer redis = new RedisServer();
                TestServer a = new TestServer(env(redis));
                TestServer b = new TestServer(env(redis))) {
            redis.config("client-output-buffer-limit", "pubsub 16kb 8kb 1");
            try (JsonClient sender = JsonClient.connect(a, "room=burst&name=sender");
                    JsonClient watcher = JsonClient.connect(b, "room=burst&name=watcher")) {
                String filler = "w".repeat(8 * 1024);
                for (int i = 0; i < 500; i++) sender.socket().send("{\"type\":\"send\",\"text\":\"" + String.format("%06d", i) + filler + "\"}");
                everyGapIsSaid(watcher, 500);
            }
        }
    }

    /**
     * A client resumes with an offset of the room's epoch that the room never reached: proof that
     * Redis went back (it lost writes). It gets a reset, and the epoch ends in Redis, so no later
     * message takes an id somebody already saw: the next one has another epoch.
     */
    @Test
    void aSinceFromTheFutureEndsTheEpoch() throws Exception {
        try (RedisServer redis = new RedisServer();
                TestServer server = new TestServer(env(redis));
                JsonClient ann = JsonClient.connect(server, "room=future&name=ann")) {
            ann.send("m1");
            ann.send("m2");
            List<JsonNode> sent = ann.messages(2);
            String[] id = sent.get(1).get("id").asText().split("-");
            String ahead = id[0] + "-" + (Long.parseLong(id[1]) + 5);
            try (JsonClient back = JsonClient.connect(server, "room=future&name=bob&since=" + ahead)) {
                JsonNode reset = back.next();
                assertEquals("reset", reset.get("type").asText(), reset.toString());
                assertEquals("reset", ann.next().get("type").asText(), "ann was not told the room's epoch ended");
                ann.send("m3");
                JsonNode m3;
                do {
                    m3 = back.next(); // the epoch's end is a reset for bob too, then the room's history anew
                } while (!m3.path("text").asText().equals("m3"));
                assertNotEquals(id[0], m3.get("id").asText().split("-")[0], "m3 took an id of the epoch that went back");
            }
        }
    }

    /**
     * A plain client (no subprotocol, no history) in a new Redis room sends right after it opens:
     * its own message reaches it, every time (it was admitted while the room loaded, and the
     * message went into the loaded history, which plain members do not get: lost, 3 of 3).
     */
    @Test
    void aPlainClientsFirstMessageInANewRoomReachesIt() throws Exception {
        try (RedisServer redis = new RedisServer(); TestServer server = new TestServer(env(redis))) {
            for (int i = 0; i < 10; i++) {
                try (chorus.support.WsClient plain = chorus.support.WsClient.connect(java.net.URI.create(server.ws() + "?room=fresh" + i))) {
                    plain.send("first " + i);
                    assertEquals("first " + i, plain.next(), "room fresh" + i);
                }
            }
        }
    }

    /**
     * A quiet room forgotten here past MAX_IDLE_ROOMS (rooms from many addresses, one each): its
     * member comes back with its since and gets what it missed, or a reset; never a welcome and
     * an empty history in silence. In memory, where the room was the only copy, and with Redis.
     */
    @Test
    void aMemberOfARoomForgottenHereGetsWhatItMissedOrAReset() throws Exception {
        try (RedisServer redis = new RedisServer()) {
            for (Map<String, String> mode : List.of(Map.<String, String>of(), Map.of("REDIS_URL", redis.url()))) {
                Map<String, String> env = new java.util.HashMap<>(mode);
                env.put("MAX_IDLE_ROOMS", "10");
                try (TestServer server = new TestServer(env)) {
                    String since;
                    try (JsonClient ann = JsonClient.connect(server, "room=quiet&name=ann")) {
                        for (int i = 1; i <= 5; i++) ann.send("m" + i);
                        since = ann.messages(5).get(2).get("id").asText(); // m4 and m5 are owed
                    }
                    for (int a = 1; a <= 30; a++) {
                        try (chorus.support.RawSocket made = new chorus.support.RawSocket(server.port(), 65536, "127.0.4." + a,
                                "/ws?room=passing" + a, "Sec-WebSocket-Protocol: chorus.v1\r\n")) {
                            made.readFrame();
                        }
                    }
                    Thread.sleep(200);
                    try (JsonClient back = JsonClient.connect(server, "room=quiet&name=ann&since=" + since)) {
                        JsonNode first = back.next();
                        if (first.get("type").asText().equals("reset")) continue; // said: the member knows
                        assertEquals("m4", first.get("text").asText(), mode + ": " + first);
                        assertEquals("m5", back.next("message").get("text").asText());
                    }
                }
            }
        }
    }

    /**
     * Recipe 3 with a real replica: five messages replicated, then replication stalled (the
     * replica hangs) while the primary acknowledges five more; the primary dies, the replica is
     * promoted without them, and an instance started with its URL takes two new messages. A client
     * resuming from the 2nd unreplicated message gets a reset: the promoted replica did not write
     * the room's epoch, so its first publish begins a new one (before, it got the two new messages
     * and nothing told it that three acknowledged ones were gone).
     */
    @Test
    void aReplicaPromotedWithoutTheLastWritesNeverHidesThem() throws Exception {
        try (RedisServer primary = new RedisServer(); RedisServer replica = new RedisServer()) {
            replica.replicate(primary);
            String lost;
            try (TestServer before = new TestServer(env(primary));
                    JsonClient ann = JsonClient.connect(before, "room=failover&name=ann")) {
                for (int i = 1; i <= 5; i++) ann.send("kept " + i);
                ann.messages(5);
                assertTrue(replica.awaitCaughtUp(primary, java.time.Duration.ofSeconds(20)), "the first five were never replicated");
                replica.hang(); // replication stalls: it cannot reconnect,
                primary.dropReplicas(); // and nothing already on its way reaches it later
                for (int i = 1; i <= 5; i++) ann.send("lost " + i);
                lost = ann.messages(5).get(1).get("id").asText();
            }
            primary.kill();
            replica.wake();
            replica.promote();
            try (TestServer fresh = new TestServer(env(replica))) {
                try (JsonClient bob = JsonClient.connect(fresh, "room=failover&name=bob")) {
                    bob.send("new 1");
                    bob.send("new 2");
                    JsonNode frame;
                    do {
                        frame = bob.next();
                    } while (!frame.path("text").asText().equals("new 2"));
                }
                try (JsonClient back = JsonClient.connect(fresh, "room=failover&since=" + lost)) {
                    JsonNode first = back.next();
                    assertEquals("reset", first.get("type").asText(), "a silent gap after " + lost + ": " + first);
                }
            }
        }
    }

    /**
     * A room shed to keep Redis within REDIS_MAX_BYTES, followed by two instances: both drop what
     * they held at once (one used to show its history from memory while the other showed none),
     * a resume from before the shed gets a reset on either, and a ref resent after it is refused
     * ref-expired instead of being delivered a second time.
     */
    @Test
    void aShedRoomIsForgottenAlikeEverywhereAndItsRefsAreNotTrusted() throws Exception {
        try (RedisServer redis = new RedisServer()) {
            Map<String, String> small = env(redis);
            small.put("REDIS_MAX_BYTES", String.valueOf(1 << 20));
            try (TestServer a = new TestServer(small);
                    TestServer b = new TestServer(small);
                    JsonClient ann = JsonClient.connect(a, "room=heavy&name=ann&client=client-heavy-1");
                    JsonClient bob = JsonClient.connect(b, "room=heavy&name=bob")) {
                long firstSent = System.currentTimeMillis();
                ann.socket().send("{\"type\":\"send\",\"text\":\"first\",\"ref\":\"r-first\"}");
                // Its sent, not its message: the two may come in either order, and a sent left
                // unread would be taken for the answer to the resend below.
                JsonNode sent = ann.next();
                while (!sent.get("type").asText().equals("sent")) sent = ann.next();
                String since = sent.get("id").asText();
                bob.next("message");
                String big = "h".repeat(16_000);
                JsonNode frame = null;
                boolean reset = false;
                for (int i = 0; i < 400 && !reset; i++) { // until Redis is over its budget and the room is shed
                    ann.socket().send("{\"type\":\"send\",\"text\":\"" + big + "\"}");
                    while ((frame = bob.next()) != null && !frame.get("type").asText().equals("message")) {
                        if (frame.get("type").asText().equals("reset")) reset = true;
                    }
                    if (i % 20 == 19) Thread.sleep(1_100); // a beat, which looks at Redis's memory
                }
                assertTrue(reset, "the room was never shed: the test made no pressure");
                for (TestServer instance : List.of(a, b)) {
                    try (JsonClient back = JsonClient.connect(instance, "room=heavy&since=" + since)) {
                        assertEquals("reset", back.next().get("type").asText(), "instance " + instance.port() + " honoured a since from before the shed");
                    }
                }
                long age = System.currentTimeMillis() - firstSent; // the truth, as the library tells it
                ann.socket().send("{\"type\":\"send\",\"text\":\"first\",\"ref\":\"r-first\",\"age\":" + age + "}");
                JsonNode answer = ann.next();
                while (!answer.get("type").asText().equals("error") && !answer.get("type").asText().equals("sent")) answer = ann.next();
                assertEquals("ref-expired", answer.path("code").asText(), "a ref from before the shed: " + answer);
            }
        }
    }
}
