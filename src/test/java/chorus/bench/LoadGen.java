package chorus.bench;

import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The load generator against any running server:
 * <pre>bin/bench load --url ws://127.0.0.1:7070/ws --subscribers 1000 --rate 50 --duration 10s</pre>
 * S subscribers, P of them also publishing, at a total message rate; optionally stalled sockets
 * that complete the handshake and never read again.
 */
public final class LoadGen {
    private LoadGen() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> a = Args.parse(args);
        double rate = Double.parseDouble(a.getOrDefault("rate", "50"));
        int subscribers = Integer.parseInt(a.getOrDefault("subscribers", "1000"));
        // Ten messages a second per publisher keeps each under the server's default rate limit.
        int publishers = Integer.parseInt(a.getOrDefault("publishers",
                String.valueOf(Math.min(subscribers, (int) Math.ceil(rate / 10)))));
        // --url may list several instances, comma-separated: subscribers are spread over them.
        List<URI> urls = java.util.Arrays.stream(a.getOrDefault("url", "ws://127.0.0.1:7070/ws").split(","))
                .map(URI::create).toList();
        int stalledCount = Integer.parseInt(a.getOrDefault("stalled", "0"));
        int size = Integer.parseInt(a.getOrDefault("size", "64"));
        List<Socket> stalled = new ArrayList<>();
        try (Fleet fleet = Fleet.connect(urls, subscribers, a.get("subprotocol"))) {
            for (int i = 0; i < stalledCount; i++) stalled.add(stall(urls.get(0)));
            Fleet.Result r = fleet.run(rate, publishers, Args.duration(a.getOrDefault("warmup", "2s")),
                    Args.duration(a.getOrDefault("duration", "10s")), size);
            System.out.printf("subscribers %d (publishers %d, stalled %d), %.0f msg/s, %d-byte messages%n",
                    subscribers, publishers, stalledCount, rate, size);
            System.out.printf("sent %d  delivered %d of %d  lost %d  subscribers closed %d%n",
                    r.sent(), r.delivered(), r.expected(), r.lost(), r.subscribersClosed());
            System.out.printf("deliveries/s %.0f  latency ms p50 %.2f  p99 %.2f  p99.9 %.2f  max %.2f%n",
                    r.deliveriesPerSecond(), r.p50Ms(), r.p99Ms(), r.p999Ms(), r.maxMs());
            if (a.containsKey("json")) Report.writeJson(Path.of(a.get("json")), Map.of("load", r));
        } finally {
            for (Socket s : stalled) s.close();
        }
    }

    /** A socket that completes the handshake and never reads again. */
    static Socket stall(URI url) throws IOException {
        Socket socket = new Socket();
        socket.setReceiveBufferSize(4096);
        socket.connect(new java.net.InetSocketAddress(url.getHost(), url.getPort()));
        OutputStream out = socket.getOutputStream();
        out.write(Handshake.request(url));
        out.flush();
        return socket;
    }
}
