package chorus.api;

import static chorus.support.ApiClient.TOKEN;
import static chorus.support.ApiClient.call;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import chorus.support.JsonClient;
import chorus.support.Jwts;
import chorus.support.RawSocket;
import chorus.support.RedisServer;
import chorus.support.TestServer;
import chorus.support.WsClient;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The API on one instance acting on members of another, through a real redis-server. */
class ApiRedisTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private RedisServer redis;
    private TestServer a;
    private TestServer b;

    @BeforeEach
    void start() throws Exception {
        redis = new RedisServer();
        a = new TestServer(Map.of("REDIS_URL", redis.url(), "API_TOKEN", TOKEN, "TOKEN_SECRET", Jwts.SECRET));
        b = new TestServer(Map.of("REDIS_URL", redis.url(), "TOKEN_SECRET", Jwts.SECRET));
    }

    @AfterEach
    void stop() throws Exception {
        a.close();
        b.close();
        redis.close();
    }

    private long exists(String key) {
        RedisClient client = RedisClient.create(redis.url());
        try (StatefulRedisConnection<String, String> c = client.connect()) {
            return c.sync().exists(key);
        } finally {
            client.shutdown();
        }
    }

    @Test
    void publishOnOneInstanceReachesAnotherAndRoomsAreListedFromEveryInstance() throws Exception {
        try (JsonClient bob = JsonClient.connect(b, "room=far&name=bob")) {
            HttpResponse<String> created = call(a, "POST", "/api/rooms/far/messages", "{\"text\":\"across\"}", TOKEN);
            assertEquals(201, created.statusCode(), created.body());
            String id = JSON.readTree(created.body()).get("id").asText();
            var message = bob.next("message");
            assertEquals(id, message.get("id").asText());
            assertEquals("across", message.get("text").asText());
            String rooms = "";
            for (int i = 0; i < 50 && !rooms.contains("\"far\""); i++) {
                rooms = call(a, "GET", "/api/rooms", null, TOKEN).body();
                if (!rooms.contains("\"far\"")) Thread.sleep(100);
            }
            assertTrue(rooms.contains("{\"room\":\"far\",\"members\":1}"), rooms);
        }
    }

    @Test
    void closingARoomReachesMembersOnAnotherInstanceAndRemovesTheStream() throws Exception {
        try (JsonClient bob = JsonClient.connect(b, "room=gone&name=bob")) {
            bob.send("kept in the stream");
            bob.next("message");
            assertEquals(1, exists("chorus:{gone}:log"));
            assertEquals(204, call(a, "DELETE", "/api/rooms/gone", null, TOKEN).statusCode());
            WsClient.Close close = bob.socket().awaitClose();
            assertEquals(4001, close.code());
            assertEquals("room closed", close.reason());
            assertEquals(0, exists("chorus:{gone}:log"), "the stream outlived the room");
        }
        try (JsonClient again = JsonClient.connect(b, "room=gone")) {
            again.send("fresh");
            assertEquals("fresh", again.next("message").get("text").asText(), "no old history before the new message");
        }
    }

    @Test
    void disconnectingASessionFindsItOnAnotherInstance() throws Exception {
        try (JsonClient bob = JsonClient.connect(b, "room=r&name=bob")) {
            String session = bob.welcome().get("session").asText();
            assertEquals(202, call(a, "DELETE", "/api/sessions/" + session, null, TOKEN).statusCode());
            WsClient.Close close = bob.socket().awaitClose();
            assertEquals(4002, close.code());
        }
        assertEquals(404, call(a, "DELETE", "/api/sessions/nosuchsession", null, TOKEN).statusCode(), "on no instance");
    }

    @Test
    void disconnectingAUserClosesItsSessionsOnEveryInstanceAndEveryInstanceRefusesItsTokens() throws Exception {
        String eve = Jwts.hs256(Jwts.user("u-eve", "eve", null));
        try (JsonClient onA = JsonClient.withToken(a, "room=r", eve); JsonClient onB = JsonClient.withToken(b, "room=r", eve)) {
            var closed = call(a, "DELETE", "/api/users/u-eve?ban=30", null, TOKEN);
            assertEquals(202, closed.statusCode(), closed.body());
            assertEquals(2, JSON.readTree(closed.body()).get("sessions").asInt(), closed.body());
            assertEquals(4002, onA.socket().awaitClose().code());
            assertEquals(4002, onB.socket().awaitClose().code());
        }
        for (TestServer server : new TestServer[] {a, b}) {
            assertEquals(403, RawSocket.refusal(server.port(), "/ws?room=r", Jwts.offer(eve)).status());
        }
    }

    @Test
    void aNameShownOnOneInstanceIsTakenOnTheOthersAndAUsersTabsShareItAcrossThem() throws Exception {
        String ann = Jwts.hs256(Jwts.user("u-ann", "ann", null));
        try (JsonClient onA = JsonClient.withToken(a, "room=names", ann); JsonClient watcher = JsonClient.connect(b, "room=names&name=w")) {
            watcher.awaitPresence(p -> p.get("names").size() == 2); // b has read a's presence
            RawSocket.Refusal lookalike = RawSocket.refusal(b.port(), "/ws?room=names&name=%D0%B0NN", "");
            assertEquals(409, lookalike.status(), lookalike.toString());
            try (JsonClient onB = JsonClient.withToken(b, "room=names", ann)) {
                assertEquals("ann", onB.welcome().get("name").asText(), "the same user on another instance");
            }
        }
    }

    /**
     * Listing rooms scans Redis on a thread of its own with a short queue, never the JVM's common
     * pool: while Redis hangs, requests past the queue hear 503 at once instead of all waiting
     * their turn on a pool that others need too.
     */
    @Test
    void whileRedisHangsListingRoomsPastTheScanQueueIsRefusedAtOnce() throws Exception {
        java.util.concurrent.ExecutorService callers = java.util.concurrent.Executors.newFixedThreadPool(8);
        redis.hang();
        try {
            List<java.util.concurrent.Future<Long>> took = new java.util.ArrayList<>();
            for (int i = 0; i < 8; i++) {
                took.add(callers.submit(() -> {
                    long start = System.nanoTime();
                    assertEquals(503, call(a, "GET", "/api/rooms", null, TOKEN).statusCode());
                    return (System.nanoTime() - start) / 1_000_000;
                }));
            }
            List<Long> millis = new java.util.ArrayList<>();
            for (java.util.concurrent.Future<Long> call : took) millis.add(call.get());
            assertTrue(millis.stream().filter(ms -> ms < 1_000).count() >= 3, "answered after (ms) " + millis);
        } finally {
            redis.wake();
            callers.shutdownNow();
        }
    }
}
