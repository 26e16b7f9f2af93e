package chorus.redis;

import static org.junit.jupiter.api.Assertions.assertTrue;

import chorus.support.JsonClient;
import chorus.support.RedisServer;
import chorus.support.TestServer;
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
}
