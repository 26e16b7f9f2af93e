package chorus.support;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * An app's backend for webhooks, on loopback: it records every request (headers and body) and
 * answers as the test says: a status, a body, after a delay (a hang is a long one).
 */
public final class Receiver implements AutoCloseable {
    /** One request as it came. */
    public record Request(Map<String, String> headers, String body, long atNanos) {
        public JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        public String header(String name) {
            return headers.get(name.toLowerCase());
        }
    }

    /** What to answer a request with. */
    public record Answer(int status, String body, Duration delay) {
        public static Answer status(int status) {
            return new Answer(status, "", Duration.ZERO);
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpServer server;
    public final List<Request> requests = new CopyOnWriteArrayList<>();
    /** The requests it answered with a 2xx, in the order it decided to. */
    public final List<Request> taken = new CopyOnWriteArrayList<>();
    private volatile Function<Request, Answer> answer = r -> Answer.status(204);

    public Receiver() {
        try {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.setExecutor(Executors.newCachedThreadPool());
        server.createContext("/", exchange -> {
            Map<String, String> headers = new java.util.HashMap<>();
            exchange.getRequestHeaders().forEach((name, values) -> headers.put(name.toLowerCase(), values.get(0)));
            Request request = new Request(headers, new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8), System.nanoTime());
            requests.add(request);
            Answer reply = answer.apply(request);
            try {
                Thread.sleep(reply.delay().toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            // Recorded before the answer goes, as an app stores what it takes before saying so: recorded after, the
            // next delivery (sent once this answer arrives) could be recorded first on another thread.
            if (reply.status() / 100 == 2) taken.add(request);
            byte[] body = reply.body().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(reply.status(), body.length == 0 ? -1 : body.length);
            if (body.length > 0) exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
    }

    public String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/hook";
    }

    /** How to answer from now on. */
    public void answer(Function<Request, Answer> answer) {
        this.answer = answer;
    }

    /** The requests whose body has this type, in the order they came. */
    public List<Request> ofType(String type) {
        return requests.stream().filter(r -> r.json().path("type").asText().equals(type)).toList();
    }

    /** Waits up to the given time for at least n requests of this type. */
    public List<Request> await(String type, int n, Duration wait) throws InterruptedException {
        long end = System.nanoTime() + wait.toNanos();
        while (ofType(type).size() < n && System.nanoTime() < end) Thread.sleep(20);
        List<Request> got = ofType(type);
        if (got.size() < n) throw new AssertionError("got " + got.size() + " " + type + " of " + n + ": " + requests.size() + " requests in all");
        return got;
    }

    @Override
    public void close() {
        server.stop(0);
        ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
        try {
            ((java.util.concurrent.ExecutorService) server.getExecutor()).awaitTermination(1, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
