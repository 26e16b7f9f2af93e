package chorus.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import chorus.support.JsonClient;
import chorus.support.RedisServer;
import chorus.support.Relay;
import chorus.support.TestServer;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Redis failing under a running instance, on a real redis-server the test controls. */
class FaultTest {
    @Test
    void afterAnOutageDeliveryIsBackWithinAboutASecondOfRedis() throws Exception {
        try (RedisServer redis = new RedisServer();
                TestServer server = new TestServer(Map.of("REDIS_URL", redis.url()));
                JsonClient ann = JsonClient.connect(server, "room=outage&name=ann")) {
            ann.send("before");
            ann.next("message");
            redis.kill();
            Thread.sleep(10_000); // long enough for a growing backoff to reach several seconds
            redis.start();
            long back = System.nanoTime();
            long deliveredAfterMs = -1;
            for (int attempt = 0; attempt < 100 && deliveredAfterMs < 0; attempt++) {
                ann.send("try " + attempt);
                String raw;
                while ((raw = ann.socket().poll(Duration.ofMillis(100))) != null) {
                    if (raw.contains("\"type\":\"message\"")) {
                        deliveredAfterMs = (System.nanoTime() - back) / 1_000_000;
                        break;
                    }
                }
            }
            System.out.println("delivery back " + deliveredAfterMs + " ms after Redis");
            assertTrue(deliveredAfterMs >= 0 && deliveredAfterMs <= 2000,
                    "delivery came back " + deliveredAfterMs + " ms after Redis did");
        }
    }

    private static String health(TestServer server) throws Exception {
        return chorus.support.TestServer.HTTP.send(HttpRequest.newBuilder(server.http("/health")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }

    /**
     * The subscriber connection goes half-open (its Redis side dropped, Chorus's side open and
     * silent): the instance notices, says so in /health, subscribes again and delivers everything
     * that was answered "sent" meanwhile.
     */
    @Test
    void aHalfOpenSubscriberIsNoticedReplacedAndCaughtUp() throws Exception {
        try (RedisServer redis = new RedisServer(); Relay relay = new Relay(redis.port());
                TestServer server = new TestServer(Map.of("REDIS_URL", "redis://127.0.0.1:" + relay.port()))) {
            try (JsonClient ann = JsonClient.connect(server, "room=half&name=ann");
                    JsonClient bob = JsonClient.connect(server, "room=half&name=bob")) {
                ann.send("before");
                assertEquals("before", bob.next("message").get("text").asText());
                relay.halfOpenSubscribers();
                boolean degraded = false;
                for (int i = 0; i < 5; i++) {
                    ann.send("during " + i);
                    Thread.sleep(1_000);
                    degraded |= health(server).contains("degraded");
                }
                for (int i = 0; i < 5; i++) assertEquals("during " + i, bob.next("message").get("text").asText());
                assertTrue(degraded, "/health said ok while nothing was delivered");
            }
        }
    }

    /** An entry this version cannot read (another writer, a newer version): the room still opens and goes on. */
    @Test
    void anUnreadableEntryInAStreamStallsNeitherTheRoomNorItsFeed() throws Exception {
        try (RedisServer redis = new RedisServer();
                TestServer server = new TestServer(Map.of("REDIS_URL", redis.url()))) {
            RedisClient client = RedisClient.create(redis.url());
            try (StatefulRedisConnection<String, String> c = client.connect()) {
                c.sync().hset(RedisBackend.key("poisoned", "meta"), Map.of("epoch", "1000", "offset", "1"));
                c.sync().xadd(RedisBackend.key("poisoned", "log"), new io.lettuce.core.XAddArgs().id("1-1"),
                        Map.of("from", "x", "text", "?", "ts", "not a time"));
            } finally {
                client.shutdown();
            }
            try (JsonClient reader = JsonClient.connect(server, "room=poisoned&name=reader");
                    JsonClient writer = JsonClient.connect(server, "room=poisoned&name=writer")) {
                writer.send("after the poison");
                assertEquals("after the poison", reader.next("message").get("text").asText());
            }
        }
    }

    @Test
    void redisOutOfMemoryIsDegradedWithItsReasonAndSaidSo() throws Exception {
        try (RedisServer redis = new RedisServer();
                TestServer server = new TestServer(Map.of("REDIS_URL", redis.url()));
                JsonClient ann = JsonClient.connect(server, "room=full&name=ann")) {
            assertTrue(health(server).contains("\"status\":\"ok\""));
            redis.config("maxmemory", "1"); // every write is refused: OOM
            ann.send("no room for this");
            com.fasterxml.jackson.databind.JsonNode error = ann.next("error");
            assertEquals("unavailable", error.get("code").asText());
            assertTrue(error.get("message").asText().contains("out of memory"), error.toString());
            String degraded = health(server);
            assertTrue(degraded.contains("\"status\":\"degraded\"") && degraded.contains("\"reason\":\"out-of-memory\""), degraded);
            redis.config("maxmemory", "0");
            ann.send("room again");
            assertEquals("room again", ann.next("message").get("text").asText());
            // A beat that wrote presence while Redis was full says so until the next beat (one a second);
            // on a loaded machine round trips slowed by the failures may read "slow" for the 5 s they count.
            String healed = health(server);
            for (int i = 0; i < 80 && !healed.contains("\"status\":\"ok\""); i++) {
                Thread.sleep(100);
                healed = health(server);
            }
            assertTrue(healed.contains("\"status\":\"ok\""), healed);
        }
    }

    /** Redis answers, slowly (every command waits up to 400 ms): /health says degraded, "slow", then ok again. */
    @Test
    void aSlowRedisIsDegradedNotOnlyADeadOne() throws Exception {
        try (RedisServer redis = new RedisServer();
                TestServer server = new TestServer(Map.of("REDIS_URL", redis.url()))) {
            assertTrue(health(server).contains("\"status\":\"ok\""));
            java.util.concurrent.atomic.AtomicBoolean pausing = new java.util.concurrent.atomic.AtomicBoolean(true);
            RedisClient client = RedisClient.create(redis.url());
            Thread pauser = new Thread(() -> {
                try (StatefulRedisConnection<String, String> c = client.connect()) {
                    while (pausing.get()) {
                        c.sync().clientPause(400);
                        Thread.sleep(450);
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            pauser.start();
            String slow = health(server);
            for (int i = 0; i < 80 && !slow.contains("\"reason\":\"slow\""); i++) {
                Thread.sleep(100);
                slow = health(server);
            }
            pausing.set(false);
            pauser.join();
            client.shutdown();
            assertTrue(slow.contains("\"status\":\"degraded\"") && slow.contains("\"reason\":\"slow\""), slow);
            String healed = health(server);
            for (int i = 0; i < 100 && !healed.contains("\"status\":\"ok\""); i++) {
                Thread.sleep(100);
                healed = health(server);
            }
            assertTrue(healed.contains("\"status\":\"ok\""), healed);
        }
    }

    private static long usedMemory(RedisServer redis) {
        RedisClient client = RedisClient.create(redis.url());
        try (StatefulRedisConnection<String, String> c = client.connect()) {
            return c.sync().info("memory").lines().filter(l -> l.startsWith("used_memory:"))
                    .mapToLong(l -> Long.parseLong(l.substring("used_memory:".length()).trim())).findFirst().orElseThrow();
        } finally {
            client.shutdown();
        }
    }

    /**
     * One address fills rooms of its own with the largest messages, against a Redis with little
     * memory and no eviction: Chorus sheds the least recently written rooms to stay under its
     * budget, and a bystander in another room, from another address, is never refused for want of
     * memory.
     */
    @Test
    void addressesFillingRedisShedTheirOwnRoomsNotAQuietBystanders() throws Exception {
        long maxmemory = 5 << 20;
        try (RedisServer redis = new RedisServer();
                TestServer server = new TestServer(Map.of("REDIS_URL", redis.url(), "REDIS_MAX_BYTES", String.valueOf(3 << 20),
                        "TRUST_PROXY", "true", "RATE_LIMIT_PER_SECOND", "1000", "RATE_LIMIT_BURST", "1000",
                        "RATE_LIMIT_PER_ADDRESS", "1000"))) {
            redis.config("maxmemory", String.valueOf(maxmemory));
            try (JsonClient bystander = JsonClient.connect(server, "room=calm&name=bee", Map.of("X-Forwarded-For", "203.0.113.9"))) {
                bystander.send("first");
                assertEquals("first", bystander.next("message").get("text").asText());
                java.util.List<JsonClient> fillers = new java.util.ArrayList<>();
                for (int i = 0; i < 30; i++) {
                    fillers.add(JsonClient.connect(server, "room=fill" + i + "&name=f", Map.of("X-Forwarded-For", "198.51.100." + (i + 1))));
                }
                String big = "x".repeat(16_000);
                long used = 0;
                for (int round = 0; round < 6 && used < maxmemory * 97 / 100; round++) { // until Redis is full, or twice over
                    for (int i = 0; i < 120; i++) fillers.get(i % fillers.size()).send(big);
                    Thread.sleep(1_200); // its output buffers drain, and a beat passes
                    used = usedMemory(redis);
                }
                assertTrue(server.get("/metrics").lines().anyMatch(l -> l.startsWith("chorus_redis_rooms_shed_total") && !l.endsWith(" 0.0")),
                        "nothing was shed: the test made no pressure");
                for (int i = 0; i < 3; i++) {
                    bystander.send("still here " + i);
                    com.fasterxml.jackson.databind.JsonNode frame = bystander.next();
                    assertEquals("message", frame.get("type").asText(), "the bystander's room was shed or refused: " + frame);
                    assertEquals("still here " + i, frame.get("text").asText());
                }
                assertTrue(used < maxmemory * 97 / 100, "Redis was filled: " + used + " bytes");
                for (JsonClient filler : fillers) filler.close();
            }
            try (JsonClient later = JsonClient.connect(server, "room=calm", Map.of("X-Forwarded-For", "203.0.113.10"))) {
                assertEquals("first", later.next("message").get("text").asText(), "the quiet room's history");
            }
        }
    }

    @Test
    void afterRedisLostItsDataEveryInstanceAnswersAnOldSinceWithAReset() throws Exception {
        try (RedisServer redis = new RedisServer();
                TestServer holder = new TestServer(Map.of("REDIS_URL", redis.url()))) {
            String since;
            try (JsonClient ann = JsonClient.connect(holder, "room=lost&name=ann")) {
                for (int i = 1; i <= 5; i++) ann.send("m" + i);
                java.util.List<com.fasterxml.jackson.databind.JsonNode> m = ann.messages(5);
                since = m.get(1).get("id").asText(); // m2: m3-m5 are what a resume would owe
                redis.kill(); // SIGKILL, and back with nothing (no persistence)
                redis.start();
                for (int i = 0; i < 100 && !health(holder).contains("\"status\":\"ok\""); i++) Thread.sleep(50);
                ann.send("n1");
                ann.send("n2");
                assertEquals("reset", ann.next().get("type").asText(), "ann, who saw m1 to m5, was not told they are gone");
                assertEquals("n1", ann.next("message").get("text").asText());
                assertEquals("n2", ann.next("message").get("text").asText());
            }
            try (TestServer fresh = new TestServer(Map.of("REDIS_URL", redis.url()))) {
                for (TestServer instance : java.util.List.of(holder, fresh)) {
                    try (JsonClient back = JsonClient.connect(instance, "room=lost&since=" + since)) {
                        com.fasterxml.jackson.databind.JsonNode reset = back.next();
                        assertEquals("reset", reset.get("type").asText(), "a silent gap on instance " + instance.port());
                        assertEquals("unknown-since", reset.get("reason").asText());
                        assertEquals("n1", back.next("message").get("text").asText());
                        assertEquals("n2", back.next("message").get("text").asText());
                    }
                }
            }
        }
    }

    /**
     * The subscriber is lost while far more than the stream keeps is published: the catch-up finds
     * the entries after the last one delivered trimmed away, and says so with a reset before what
     * follows instead of skipping them silently.
     */
    @Test
    void aCatchUpThatFindsEntriesTrimmedAwaySaysResetInsteadOfSkippingThem() throws Exception {
        try (RedisServer redis = new RedisServer(); Relay relay = new Relay(redis.port());
                TestServer server = new TestServer(Map.of("REDIS_URL", "redis://127.0.0.1:" + relay.port(),
                        "HISTORY_SIZE", "10", "RATE_LIMIT_PER_SECOND", "10000", "RATE_LIMIT_BURST", "10000",
                        "RATE_LIMIT_PER_ADDRESS", "100000"));
                JsonClient ann = JsonClient.connect(server, "room=trimmed&name=ann");
                JsonClient bob = JsonClient.connect(server, "room=trimmed&name=bob")) {
            ann.send("before");
            assertEquals("before", bob.next("message").get("text").asText());
            relay.halfOpenSubscribers();
            int sent = 250; // Redis trims whole nodes of 100 entries: "before" and those after it go
            for (int i = 0; i < sent; i++) ann.send(String.valueOf(i));
            int expected = 0;
            boolean told = false;
            while (expected < sent) {
                com.fasterxml.jackson.databind.JsonNode frame = bob.next();
                if (frame.get("type").asText().equals("reset")) {
                    told = true;
                    continue;
                }
                int i = Integer.parseInt(frame.get("text").asText());
                assertTrue(i == expected || told && i > expected, "message " + expected + " was skipped without a reset");
                if (i != expected) told = false; // a reset covers one hole
                expected = i + 1;
            }
        }
    }

    /**
     * Redis comes back from a snapshot older than what was delivered: the instance that stayed up
     * tells its members, and it and a fresh instance give a resume the same answer, a reset for
     * an id Redis no longer has.
     */
    @Test
    void aRedisBackFromAnOlderSnapshotIsLostDataAlikeOnEveryInstance() throws Exception {
        try (RedisServer redis = new RedisServer();
                TestServer holder = new TestServer(Map.of("REDIS_URL", redis.url()))) {
            String kept;
            String lost;
            try (JsonClient ann = JsonClient.connect(holder, "room=older&name=ann");
                    JsonClient bob = JsonClient.connect(holder, "room=older&name=bob")) {
                ann.send("m1");
                ann.send("m2");
                kept = ann.messages(2).get(1).get("id").asText();
                bob.messages(2);
                redis.save(); // what a restart will come back to
                ann.send("m3");
                ann.send("m4");
                lost = ann.messages(2).get(1).get("id").asText();
                bob.messages(2);
                redis.kill();
                redis.start(); // from the snapshot: m1 and m2 only
                for (int i = 0; i < 100 && !health(holder).contains("\"status\":\"ok\""); i++) Thread.sleep(50);
                ann.send("n1");
                assertEquals("reset", bob.next().get("type").asText(), "bob, who saw m3 and m4, was not told they are gone");
                // The room's history under its next epoch: what Redis still holds, then n1.
                java.util.List<String> after = new java.util.ArrayList<>();
                while (after.isEmpty() || !after.get(after.size() - 1).equals("n1")) after.add(bob.next("message").get("text").asText());
                assertEquals(java.util.List.of("m1", "m2", "n1"), after);
            }
            try (TestServer fresh = new TestServer(Map.of("REDIS_URL", redis.url()))) {
                for (String since : java.util.List.of(lost, kept)) {
                    java.util.List<String> answers = new java.util.ArrayList<>();
                    for (TestServer instance : java.util.List.of(holder, fresh)) {
                        try (JsonClient back = JsonClient.connect(instance, "room=older&since=" + since)) {
                            StringBuilder answer = new StringBuilder();
                            com.fasterxml.jackson.databind.JsonNode frame;
                            do {
                                frame = back.next();
                                answer.append(frame.get("type").asText()).append(' ')
                                        .append(frame.path("reason").asText(frame.path("text").asText())).append("; ");
                            } while (!frame.path("text").asText().equals("n1"));
                            answers.add(answer.toString());
                        }
                    }
                    assertTrue(answers.get(0).startsWith("reset"), "since " + since + ": " + answers.get(0));
                    assertEquals(answers.get(0), answers.get(1), "the instances disagree on since " + since);
                }
            }
        }
    }

    @Test
    void theFirstJoinerOfAFreshInstanceGetsHistoryAndItsSinceHonoured() throws Exception {
        try (RedisServer redis = new RedisServer();
                TestServer first = new TestServer(Map.of("REDIS_URL", redis.url()))) {
            String since;
            try (JsonClient ann = JsonClient.connect(first, "room=early&name=ann")) {
                for (int i = 1; i <= 3; i++) ann.send("m" + i);
                since = ann.messages(3).get(0).get("id").asText();
            }
            // A new instance takes traffic the moment its port is bound, as Heroku's router does.
            try (TestServer fresh = new TestServer(Map.of("REDIS_URL", redis.url()));
                    JsonClient resumed = JsonClient.connect(fresh, "room=early&since=" + since);
                    JsonClient joined = JsonClient.connect(fresh, "room=early")) {
                assertEquals("m2", resumed.next("message").get("text").asText(), "a valid since was not honoured");
                assertEquals("m3", resumed.next("message").get("text").asText());
                assertEquals(java.util.List.of("m1", "m2", "m3"),
                        joined.messages(3).stream().map(m -> m.get("text").asText()).toList());
                joined.send("first on the new instance");
                assertEquals("first on the new instance", resumed.next("message").get("text").asText());
            }
        }
    }

    /** Server threads parked on a Redis reply: waiting on Redis, not just handing it a command. */
    /** Web threads parked with Redis code on their stack (a join handing work to a Redis thread may park for a moment on its queue). */
    private static java.util.Set<Long> webThreadsWaitingOnRedis() {
        return Thread.getAllStackTraces().entrySet().stream()
                .filter(e -> e.getKey().getName().startsWith("JettyServerThreadPool"))
                .filter(e -> java.util.Arrays.stream(e.getValue()).anyMatch(FaultTest::parks)
                        && java.util.Arrays.stream(e.getValue()).anyMatch(f -> f.getClassName().startsWith("io.lettuce")
                                || f.getClassName().startsWith("chorus.redis")))
                .map(e -> e.getKey().getId())
                .collect(java.util.stream.Collectors.toSet());
    }

    private static boolean parks(StackTraceElement f) {
        return f.getClassName().equals("java.util.concurrent.locks.LockSupport")
                || f.getClassName().equals("java.util.concurrent.CompletableFuture")
                        && java.util.Set.of("get", "join", "waitingGet", "timedGet").contains(f.getMethodName());
    }

    @Test
    void joinsDuringARedisHangHoldNoWebThread() throws Exception {
        try (RedisServer redis = new RedisServer();
                TestServer server = new TestServer(Map.of("REDIS_URL", redis.url(), "NEW_ROOMS_PER_ADDRESS", "1000"))) {

            java.util.List<java.util.concurrent.CompletableFuture<JsonClient>> joins = new java.util.ArrayList<>();
            java.util.concurrent.ExecutorService clients = java.util.concurrent.Executors.newFixedThreadPool(150);
            redis.hang();
            long waiting = 0;
            try {
                for (int i = 0; i < 150; i++) { // all 150 in flight at once, each to a room new to this instance
                    String room = "new" + i;
                    joins.add(java.util.concurrent.CompletableFuture.supplyAsync(() -> JsonClient.connect(server, "room=" + room), clients));
                }
                java.util.Set<Long> before = java.util.Set.of();
                for (int i = 0; i < 20; i++) { // look for two seconds, past Redis's command timeout
                    java.util.Set<Long> now = webThreadsWaitingOnRedis();
                    // Waiting on a hung Redis lasts its command timeout: the same thread, 100 ms apart.
                    waiting = Math.max(waiting, now.stream().filter(before::contains).count());
                    before = now;
                    Thread.sleep(100);
                }
            } finally {
                redis.wake();
            }
            for (var join : joins) join.get(15, java.util.concurrent.TimeUnit.SECONDS).close();
            clients.shutdown();

            assertEquals(0, waiting, "web threads waited on Redis for a join");
        }
    }

    /**
     * A subscriber connection whose SUBSCRIBE fails (here: an ACL user with no right to the
     * orders channel; in the field, a timeout) is closed, not left open: each retry, at start-up
     * and every beat after, made one more connection that nothing closed.
     */
    @Test
    void aSubscriberConnectionThatCannotSubscribeIsClosedEveryTime() throws Exception {
        try (RedisServer redis = new RedisServer()) {
            RedisClient control = RedisClient.create(redis.url());
            try (StatefulRedisConnection<String, String> c = control.connect()) {
                c.sync().aclSetuser("chorus", io.lettuce.core.AclSetuserArgs.Builder.on().addPassword("pass-0123456789")
                        .allKeys().allCommands().resetChannels().channelPattern("chorus:{*}:live"));
                String url = "redis://chorus:pass-0123456789@127.0.0.1:" + redis.port();
                try (TestServer server = new TestServer(Map.of("REDIS_URL", url))) {
                    Thread.sleep(3_000); // start-up's tries, then three beats' worth
                    long held = c.sync().clientList().lines().filter(line -> line.contains(" user=chorus ")).count();
                    assertTrue(held <= 2, held + " connections held by the instance: " + c.sync().clientList());
                }
            } finally {
                control.shutdown();
            }
        }
    }
}
