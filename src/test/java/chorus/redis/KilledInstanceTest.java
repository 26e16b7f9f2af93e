package chorus.redis;

import static org.junit.jupiter.api.Assertions.assertTrue;

import chorus.support.JsonClient;
import chorus.support.ProcfileServer;
import chorus.support.RedisServer;
import chorus.support.TestServer;
import chorus.support.WsClient;
import java.net.URI;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** An instance in a process of its own killed outright, beside another instance: its members leave presence in time. */
class KilledInstanceTest {
    @Test
    void anInstanceKilledWithSigkillLeavesPresenceInTime() throws Exception {
        try (RedisServer redis = new RedisServer();
                TestServer a = new TestServer(Map.of("REDIS_URL", redis.url()));
                ProcfileServer jar = ProcfileServer.fromClasses(Map.of("REDIS_URL", redis.url()))) {
            try (JsonClient ann = JsonClient.connect(a, "room=p&name=ann");
                    WsClient bob = WsClient.connect(URI.create(jar.ws() + "?room=p&name=bob"), Map.of(), "chorus.v1")) {
                ann.awaitPresence(p -> p.get("online").asInt() == 2);
                long killed = System.nanoTime();
                jar.process().destroyForcibly(); // SIGKILL: no shutdown hook, no cleanup
                ann.awaitPresence(p -> p.get("online").asInt() == 1, java.time.Duration.ofSeconds(40));
                long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - killed);
                assertTrue(seconds <= 30, "a dead instance stayed present for " + seconds + " s");
            }
        }
    }
}
