// The AOT cache's training workload (bin/aot-cache runs it with `java bin/AotTraining.java PORT`):
// what a dyno does in its first minute, so that the cache holds the classes, links and profiles
// of the upgrade and write paths and not only of start-up. The page and its assets over HTTP,
// then sockets in both modes joining rooms, sending, renaming and pinging, then leaving.
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

public class AotTraining {
    static final int SOCKETS = 20;
    static final int MESSAGES = 1000;

    public static void main(String[] args) throws Exception {
        String base = "127.0.0.1:" + args[0];
        HttpClient http = HttpClient.newHttpClient();
        for (String path : List.of("/", "/chorus.js", "/chorus-client.js", "/chorus.css", "/health", "/metrics")) {
            http.send(HttpRequest.newBuilder(URI.create("http://" + base + path)).build(), HttpResponse.BodyHandlers.discarding());
        }
        // Every socket hears every message of its room: wait for all of them.
        CountDownLatch heard = new CountDownLatch(SOCKETS * MESSAGES / 2);
        List<WebSocket> sockets = new ArrayList<>();
        for (int i = 0; i < SOCKETS; i++) {
            boolean json = i % 2 == 0;
            String room = json ? "training-json" : "training-plain";
            WebSocket.Builder builder = http.newWebSocketBuilder();
            if (json) builder.subprotocols("chorus.v1");
            sockets.add(builder.buildAsync(URI.create("ws://" + base + "/ws?room=" + room + "&name=t" + i + "&client=training" + i),
                    new Counter(heard, json)).get(10, TimeUnit.SECONDS));
        }
        for (int m = 0; m < MESSAGES; m++) {
            WebSocket socket = sockets.get(m % SOCKETS);
            boolean json = (m % SOCKETS) % 2 == 0;
            String text = json ? "{\"type\":\"send\",\"text\":\"training " + m + "\",\"ref\":\"r" + m + "\"}" : "training " + m;
            socket.sendText(text, true).get(10, TimeUnit.SECONDS);
            if (m % 100 == 0) {
                socket.sendPing(java.nio.ByteBuffer.wrap(new byte[] {1})).get(10, TimeUnit.SECONDS);
                if (json) socket.sendText("{\"type\":\"rename\",\"name\":\"t" + m + "\"}", true).get(10, TimeUnit.SECONDS);
            }
        }
        // Nearly all arrive at once; a socket whose join was still under way missed the first few.
        heard.await(1, TimeUnit.SECONDS);
        for (WebSocket socket : sockets) socket.sendClose(WebSocket.NORMAL_CLOSURE, "done").get(10, TimeUnit.SECONDS);
    }

    /** Counts the messages a socket hears (in JSON mode, only its frames of type message). */
    record Counter(CountDownLatch heard, boolean json) implements WebSocket.Listener {
        @Override
        public CompletionStage<?> onText(WebSocket socket, CharSequence data, boolean last) {
            if (!json || data.toString().contains("\"type\":\"message\"")) heard.countDown();
            socket.request(1);
            return CompletableFuture.completedFuture(null);
        }
    }
}
