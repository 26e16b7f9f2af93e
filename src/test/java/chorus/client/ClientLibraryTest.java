package chorus.client;

import static org.junit.jupiter.api.Assertions.assertEquals;

import chorus.support.Jwts;
import chorus.support.TestServer;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The client library's own tests (src/test/js/client.test.mjs: send and confirm, resume, a room
 * change with a message in flight, a reload with a full outbox, a token renewed through getToken
 * at its expiry, and a fast-check property over
 * random interleavings), run by Node against the real server.
 */
class ClientLibraryTest {
    @Test
    void theLibrarysTestsPassAgainstTheRealServer() throws Exception {
        // With a token secret: anonymous clients are as before, and the expiry test mints tokens.
        try (TestServer server = new TestServer(Map.of("TOKEN_SECRET", Jwts.SECRET))) {
            ProcessBuilder run = new ProcessBuilder("node", "--experimental-websocket", "--no-warnings", "--test", "--test-force-exit",
                    "--test-reporter=spec", "client.test.mjs")
                    .directory(new File("src/test/js")).redirectErrorStream(true);
            run.environment().put("CHORUS_WS", server.ws().toString());
            run.environment().put("CHORUS_TOKEN_SECRET", Jwts.SECRET);
            File log = File.createTempFile("chorus-client-test", ".log");
            log.deleteOnExit();
            run.redirectOutput(log);
            Process node = run.start();
            node.getOutputStream().close();
            // Bounded: a hung test is killed, and what it printed so far is the failure's message.
            boolean done = node.waitFor(120, TimeUnit.SECONDS);
            if (!done) node.destroyForcibly().waitFor();
            String printed = Files.readString(log.toPath(), StandardCharsets.UTF_8);
            System.out.println(printed);
            assertEquals(0, done ? node.exitValue() : -1, printed);
        }
    }
}
