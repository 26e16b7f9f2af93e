package chorus.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import chorus.support.ApiClient;
import chorus.support.JsonClient;
import chorus.support.Jwts;
import chorus.support.TestServer;
import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** One socket in many rooms (#30): join and leave frames, every frame naming its room, each room resumed on its own. */
class RoomsPerSocketTest {
    private final TestServer server = new TestServer(Map.of("RATE_LIMIT_PER_SECOND", "10000", "RATE_LIMIT_BURST", "10000",
            "RATE_LIMIT_PER_ADDRESS", "100000", "NEW_ROOMS_PER_ADDRESS", "1000", "TOKEN_SECRET", Jwts.SECRET,
            "API_TOKEN", ApiClient.TOKEN));
    private final List<AutoCloseable> open = new ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable c : open) c.close();
        server.close();
    }

    private JsonClient connect(String query) {
        JsonClient client = JsonClient.connect(server, query);
        open.add(client);
        return client;
    }

    /** Joins a room and reads up to its welcome, which names it. */
    private static JsonNode join(JsonClient client, String room, String since) {
        client.join(room, since);
        JsonNode welcome = client.next("welcome");
        assertEquals(room, welcome.get("room").asText());
        return welcome;
    }

    @Test
    void oneSocketInThreeRoomsGetsEachRoomsMessagesOnceAndResumesEachOnItsOwn() throws Exception {
        JsonClient reader = connect("room=r1&name=reader&client=reader-tab-1");
        join(reader, "r2", null);
        join(reader, "r3", null);
        JsonClient writer = connect("room=r1&name=writer");
        join(writer, "r2", null);
        join(writer, "r3", null);

        Map<String, String> last = new HashMap<>();
        for (int i = 0; i < 3; i++) {
            for (String room : List.of("r1", "r2", "r3")) writer.send(room, room + "-" + i, null);
        }
        for (int i = 0; i < 9; i++) {
            JsonNode message = reader.next("message");
            String room = message.get("room").asText();
            assertEquals(room + "-" + (i / 3), message.get("text").asText(), "in order, each room's own");
            last.put(room, message.get("id").asText());
        }
        reader.assertNoMessage(Duration.ofMillis(300)); // once each

        reader.close(); // the cut
        writer.send("r1", "r1-after", null);
        writer.send("r2", "r2-after", null);
        writer.send("r3", "r3-after", null);

        JsonClient back = connect("room=r1&name=reader&client=reader-tab-1&since=" + last.get("r1"));
        assertEquals("r1-after", back.next("message").get("text").asText());
        join(back, "r2", last.get("r2"));
        assertEquals("r2-after", back.next("message").get("text").asText());
        join(back, "r3", last.get("r3"));
        assertEquals("r3-after", back.next("message").get("text").asText());
        back.assertNoMessage(Duration.ofMillis(300));
    }

    @Test
    void aSocketLeavesARoomAndHearsNoMoreOfIt() throws Exception {
        JsonClient ann = connect("room=a&name=ann");
        join(ann, "b", null);
        ann.leave("b");
        JsonNode left = ann.next("left");
        assertEquals("b", left.get("room").asText());
        assertFalse(left.has("code"), "it asked: no reason");
        JsonClient bob = connect("room=b&name=bob");
        bob.send("not for ann");
        ann.assertNoMessage(Duration.ofMillis(300));
        ann.send("b", "hi", "r-1");
        JsonNode error = ann.next("error");
        assertEquals("not-joined", error.get("code").asText());
        assertEquals("b", error.get("room").asText());
        assertEquals("r-1", error.get("ref").asText());
    }

    @Test
    void aSendNamesItsRoomAndItsSentFrameToo() {
        JsonClient ann = connect("room=a&name=ann");
        join(ann, "b", null);
        ann.send("b", "in b", "ref-b");
        JsonNode message = ann.next("message");
        assertEquals("b", message.get("room").asText());
        JsonNode sent = ann.next("sent");
        assertEquals("b", sent.get("room").asText());
        assertEquals(message.get("id").asText(), sent.get("id").asText());
    }

    @Test
    void aHundredRoomsOnOneSocketThenTheHundredAndFirstIsRefused() {
        JsonClient many = connect("room=room-0&name=many");
        for (int i = 1; i < 100; i++) join(many, "room-" + i, null);
        many.join("room-100", null);
        JsonNode error = many.next("error");
        assertEquals("too-many-rooms", error.get("code").asText());
        assertEquals("room-100", error.get("room").asText());
        many.send("room-99", "still in", null); // the socket stays, in its hundred rooms
        assertEquals("room-99", many.next("message").get("room").asText());
    }

    @Test
    void aTokenNamingPrivateAJoinsItAndIsRefusedPrivateBOnTheSameSocket() {
        String token = Jwts.hs256(Jwts.user("u-1", "Ann", List.of("lobby", "private-a")));
        JsonClient ann = JsonClient.withToken(server, "room=lobby", token);
        open.add(ann);
        join(ann, "private-a", null);
        ann.join("private-b", null);
        JsonNode error = ann.next("error");
        assertEquals("forbidden", error.get("code").asText());
        assertEquals("private-b", error.get("room").asText());
        ann.send("private-a", "only a", null);
        assertEquals("private-a", ann.next("message").get("room").asText());
    }

    @Test
    void aRoomClosedByAnOperatorPutsOutOnlyThatRoomOfASocketInOthers() throws Exception {
        JsonClient ann = connect("room=a&name=ann");
        join(ann, "doomed", null);
        assertEquals(2, ApiClient.call(server, "DELETE", "/api/rooms/doomed", null, ApiClient.TOKEN).statusCode() / 100);
        JsonNode left = ann.next("left");
        assertEquals("doomed", left.get("room").asText());
        assertEquals(4001, left.get("code").asInt());
        ann.send("a", "still here", null);
        assertTrue(ann.next("message").get("text").asText().equals("still here"));
    }
}
