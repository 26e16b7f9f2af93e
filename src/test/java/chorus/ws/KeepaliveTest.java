package chorus.ws;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import chorus.support.RawSocket;
import chorus.support.TestServer;
import chorus.support.WsClient;
import java.util.Map;
import org.junit.jupiter.api.Test;

class KeepaliveTest {
    @Test
    void peersThatAnswerPingsStayAndSilentPeersAreDropped() throws Exception {
        try (TestServer server = new TestServer(Map.of("PING_INTERVAL", "100ms", "IDLE_TIMEOUT", "500ms"));
                WsClient answers = WsClient.connect(server.ws()); // the JDK client answers pings
                RawSocket silent = new RawSocket(server.port(), 64 * 1024)) {
            server.awaitConnections(2);
            // The silent peer reads nothing and so answers no ping: the server hangs up on it.
            assertTrue(silent.isDropped(), "a peer that never answered pings was kept");
            server.awaitConnections(1);

            Thread.sleep(1000); // twice the idle timeout, with no data from the polite client
            assertFalse(answers.isClosed(), "a peer that answers pings was dropped");
            answers.send("alive");
            assertEquals("alive", answers.next());
        }
    }
}
