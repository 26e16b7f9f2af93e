package chorus.ws;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import chorus.support.TestServer;
import chorus.support.WsClient;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** A connection is counted once and forgotten once, whatever happens between upgrade and join. */
class LifecycleTest {
    @Test
    void upgradesResetAtOnceLeaveNoGhostMembers() throws Exception {
        try (TestServer server = new TestServer()) {
            byte[] upgrade = ("GET /ws?room=ghosts HTTP/1.1\r\nHost: 127.0.0.1:" + server.port()
                    + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                    + "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: chorus.v1\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII);
            ExecutorService pool = Executors.newFixedThreadPool(8);
            List<CompletableFuture<Void>> runs = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                int thread = t;
                runs.add(CompletableFuture.runAsync(() -> {
                    for (int i = 0; i < 400; i++) {
                        try (Socket s = new Socket()) {
                            s.connect(new InetSocketAddress("127.0.0.1", server.port()), 5000);
                            OutputStream out = s.getOutputStream();
                            out.write(upgrade);
                            out.flush();
                            // Vary the moment of the reset: before the 101, and just after it began.
                            if ((i + thread) % 2 == 1) s.getInputStream().read();
                            s.setSoLinger(true, 0); // close with a TCP reset
                        } catch (Exception e) {
                            throw new AssertionError(e);
                        }
                    }
                }, pool));
            }
            CompletableFuture.allOf(runs.toArray(CompletableFuture[]::new)).join();
            pool.shutdown();
            server.awaitConnections(0);
            for (int i = 0; i < 500 && server.server().sockets().size() > 0; i++) Thread.sleep(10);
            assertEquals(0, server.server().sockets().size(), "sockets still counted");
            // And the room works for the next person.
            try (WsClient a = WsClient.connect(URI.create(server.ws() + "?room=ghosts"))) {
                server.awaitConnections(1);
                a.send("still here");
                assertEquals("still here", a.next());
            }
        }
    }

    @Test
    void aStampedeOfUpgradesNeverExceedsTheCap() throws Exception {
        int cap = 10;
        try (TestServer server = new TestServer(Map.of("MAX_CONNECTIONS", String.valueOf(cap)))) {
            int dials = 300;
            CountDownLatch go = new CountDownLatch(1);
            AtomicInteger accepted = new AtomicInteger();
            AtomicInteger refused = new AtomicInteger();
            List<WsClient> open = java.util.Collections.synchronizedList(new ArrayList<>());
            ExecutorService pool = Executors.newFixedThreadPool(64);
            List<CompletableFuture<Void>> all = new ArrayList<>();
            for (int i = 0; i < dials; i++) {
                all.add(CompletableFuture.runAsync(() -> {
                    try {
                        go.await();
                        open.add(WsClient.connect(server.ws()));
                        accepted.incrementAndGet();
                    } catch (java.util.concurrent.CompletionException e) {
                        refused.incrementAndGet();
                    } catch (InterruptedException e) {
                        throw new AssertionError(e);
                    }
                }, pool));
            }
            go.countDown();
            CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).join();
            pool.shutdown();
            assertEquals(dials, accepted.get() + refused.get());
            assertTrue(accepted.get() <= cap, accepted.get() + " sockets accepted with a cap of " + cap);
            assertTrue(accepted.get() > 0, "nobody got in");
            assertTrue(server.server().hub().size() <= cap, "members " + server.server().hub().size());
            open.forEach(WsClient::close);
            server.awaitConnections(0);
        }
    }
}
