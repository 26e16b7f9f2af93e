package chorus.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import chorus.support.JsonClient;
import chorus.support.TestServer;
import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** "Ann is typing…" (#30): relayed to the room, rate-limited, never stored or replayed. */
class TypingTest {
    private final TestServer server = new TestServer(Map.of("RATE_LIMIT_PER_SECOND", "1000", "RATE_LIMIT_BURST", "1000",
            "RATE_LIMIT_PER_ADDRESS", "10000"));

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void aTypingFloodIsRelayedAtMostOnceEveryTwoSecondsAndNeverStored() throws Exception {
        try (JsonClient ann = JsonClient.connect(server, "room=ty&name=ann"); JsonClient bob = JsonClient.connect(server, "room=ty&name=bob")) {
            for (int i = 0; i < 50; i++) ann.socket().send("{\"type\":\"typing\",\"room\":\"ty\"}");
            JsonNode typing = bob.next("typing");
            assertEquals("ann", typing.get("name").asText());
            assertEquals("ty", typing.get("room").asText());
            assertEquals(ann.welcome().get("session").asText(), typing.get("session").asText(), "so a page skips its own");
            bob.assertNoMessage(Duration.ofMillis(1000)); // the other 49 were dropped
            ann.send("a message");
            assertEquals("a message", bob.next("message").get("text").asText());
            try (JsonClient late = JsonClient.connect(server, "room=ty&name=late")) {
                JsonNode first = late.next();
                assertEquals("message", first.get("type").asText(), "history holds the message and no typing");
                late.assertNoMessage(Duration.ofMillis(300));
            }
            assertTrue(server.get("/metrics").contains("typing-flood"), "the dropped ones are counted");
        }
    }
}
