package chorus.support;

import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** A real WebSocket client (the JDK's) that records every message and the close it saw. */
public final class WsClient implements WebSocket.Listener, AutoCloseable {
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    public record Close(int code, String reason) {
    }

    private final BlockingQueue<String> messages = new LinkedBlockingQueue<>();
    private final CompletableFuture<Close> closed = new CompletableFuture<>();
    private final StringBuilder partial = new StringBuilder();
    private WebSocket socket;

    public static WsClient connect(URI uri) {
        return connect(uri, Map.of());
    }

    public static WsClient connect(URI uri, Map<String, String> headers) {
        return connect(uri, headers, null);
    }

    /** Connects asking for a subprotocol (null for none). */
    public static WsClient connect(URI uri, Map<String, String> headers, String subprotocol, String... more) {
        WsClient client = new WsClient();
        WebSocket.Builder builder = HTTP.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(5));
        headers.forEach(builder::header);
        if (subprotocol != null) builder.subprotocols(subprotocol, more);
        client.socket = builder.buildAsync(uri, client).orTimeout(10, TimeUnit.SECONDS).join();
        return client;
    }

    /** The HTTP status the server answered an upgrade with, when it refused it. */
    public static int refusedStatus(URI uri, Map<String, String> headers) {
        try (WsClient client = connect(uri, headers, null)) {
            throw new AssertionError("upgrade was accepted");
        } catch (CompletionException e) {
            if (e.getCause() instanceof WebSocketHandshakeException refused) {
                return refused.getResponse().statusCode();
            }
            throw e;
        }
    }

    /** The subprotocol the server accepted ("" for none). */
    public String subprotocol() {
        return socket.getSubprotocol();
    }

    public void send(String text) {
        socket.sendText(text, true).join();
    }

    public void sendBinary(byte[] data) {
        socket.sendBinary(ByteBuffer.wrap(data), true).join();
    }

    /** The next message, failing the test if none comes within 10 s. */
    public String next() {
        try {
            String message = messages.poll(10, TimeUnit.SECONDS);
            assertNotNull(message, "no message within 10 s");
            return message;
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    public List<String> next(int count) {
        List<String> received = new ArrayList<>(count);
        for (int i = 0; i < count; i++) received.add(next());
        return received;
    }

    /** A message arriving within the given time, or null. */
    public String poll(Duration wait) throws InterruptedException {
        return messages.poll(wait.toMillis(), TimeUnit.MILLISECONDS);
    }

    public Close awaitClose() {
        return closed.orTimeout(10, TimeUnit.SECONDS).join();
    }

    public boolean isClosed() {
        return closed.isDone();
    }

    @Override
    public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
        partial.append(data);
        if (last) {
            messages.add(partial.toString());
            partial.setLength(0);
        }
        ws.request(1);
        return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket ws, int code, String reason) {
        closed.complete(new Close(code, reason));
        return null;
    }

    @Override
    public void onError(WebSocket ws, Throwable error) {
        closed.complete(new Close(-1, String.valueOf(error)));
    }

    @Override
    public void close() {
        if (socket != null && !socket.isOutputClosed()) {
            socket.sendClose(WebSocket.NORMAL_CLOSURE, "bye");
        }
        if (socket != null) socket.abort();
    }
}
