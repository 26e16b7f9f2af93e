package chorus.bench;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * Whether a flood in one room costs another room its latency: <pre>bin/bench fairness</pre>
 * Chorus started as the Procfile starts it, with its per-connection limits as they are (a flood
 * of senders at their limits, not past them) and the per-address ones lifted (every client here
 * is 127.0.0.1). A calm room (100 members, one sender, 10 messages/s) is measured alone, then
 * on a fresh server again while 200 members of a flood room each send at 19 messages/s (just
 * under the default 20), every message to all 200. Latency as in the suite: from when a message
 * was due to its arrival.
 */
public final class FairnessBench {
    private static final Map<String, String> ADDRESS_LIMITS_LIFTED = Map.of("MAX_CONNECTIONS_PER_ADDRESS", "100000",
            "RATE_LIMIT_PER_ADDRESS", "1000000", "MAX_HTTP_CONNECTIONS_PER_ADDRESS", "100000");

    private FairnessBench() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> a = Args.parse(args);
        int calmMembers = Integer.parseInt(a.getOrDefault("calm-members", "100"));
        double calmRate = Double.parseDouble(a.getOrDefault("calm-rate", "10"));
        int floodSenders = Integer.parseInt(a.getOrDefault("flood-senders", "200"));
        double floodRate = Double.parseDouble(a.getOrDefault("flood-rate", String.valueOf(19 * floodSenders)));
        Duration warmup = Args.duration(a.getOrDefault("warmup", "3s"));
        Duration window = Args.duration(a.getOrDefault("window", "10s"));
        String command = a.getOrDefault("server", Files.readString(Path.of("Procfile")).strip().replaceFirst("^web: ", ""));

        Fleet.Result alone;
        try (ServerProcess server = ServerProcess.start(command, ADDRESS_LIMITS_LIFTED);
                Fleet calm = Fleet.connect(room(server, "calm"), calmMembers, null)) {
            alone = calm.run(calmRate, 1, warmup, window, 64);
        }
        Fleet.Result beside;
        Fleet.Result[] flooded = new Fleet.Result[1];
        try (ServerProcess server = ServerProcess.start(command, ADDRESS_LIMITS_LIFTED);
                Fleet calm = Fleet.connect(room(server, "calm"), calmMembers, null);
                Fleet flood = Fleet.connect(room(server, "flood"), floodSenders, null)) {
            Thread floodThread = new Thread(() -> {
                try {
                    flooded[0] = flood.run(floodRate, floodSenders, Duration.ZERO, warmup.plus(window).plusSeconds(2), 64);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "flood");
            floodThread.start();
            Thread.sleep(1000); // the flood is on before the calm room's warm-up
            beside = calm.run(calmRate, 1, warmup, window, 64);
            floodThread.join();
        }
        System.out.printf("calm room alone:        p50 %7.2f ms  p99 %7.2f ms  delivered %d of %d%n",
                alone.p50Ms(), alone.p99Ms(), alone.delivered(), alone.expected());
        System.out.printf("calm room beside flood: p50 %7.2f ms  p99 %7.2f ms  delivered %d of %d%n",
                beside.p50Ms(), beside.p99Ms(), beside.delivered(), beside.expected());
        System.out.printf("flood: %.0f msg/s from %d senders, %.0f deliveries/s, p99 %.2f ms, %d senders closed%n",
                floodRate, floodSenders, flooded[0].deliveriesPerSecond(), flooded[0].p99Ms(), flooded[0].subscribersClosed());
        System.out.printf("p99 beside the flood / alone: %.2f (the issue asks at most 2)%n", beside.p99Ms() / alone.p99Ms());
    }

    private static URI room(ServerProcess server, String room) {
        return URI.create(server.url() + "?room=" + room);
    }
}
