package chorus.bench;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The benchmark suite, run against Chorus and, side by side in the same invocation, a reference
 * server: start-up time, fan-out at a fixed rate (latency, server CPU per delivery), a max-rate
 * ramp, and RSS per idle connection. Every server is started here by its own command, on a free
 * port, so memory and CPU come from /proc.
 *
 * <pre>bin/bench suite --references node-ws,bun,javalin-naive [--json target/bench.json]</pre>
 */
public final class Suite {
    /**
     * A server under test: its name, its command, its environment (PORT is added), and the
     * protocol its clients speak (null: the suite's --subprotocol; {@link Subscriber#SOCKET_IO}: Engine.IO packets).
     */
    record Server(String name, String command, Map<String, String> env, String protocol) {
        Server(String name, String command, Map<String, String> env) {
            this(name, command, env, null);
        }
    }

    /** One ramp step, with the CPU the server and the load generator used (% of one core). */
    record Step(Fleet.Result result, double serverCpuPercent, double generatorCpuPercent) {
    }

    /** What the suite measured for one server. */
    record Figures(String server, long startupMillis, Fleet.Result fixed, double cpuMicrosPerDelivery,
            double generatorCpuMicrosPerDelivery, List<Step> ramp, double maxDeliveriesPerSecond, int idleHeld,
            int idleFailed, double connectionsPerSecond, double rssKiBPerIdleConnection, long lost) {
    }

    private static final int DIALS_IN_PARALLEL = 128;

    private final int subscribers;
    private final int idle;
    private final double fixedRate;
    private final Duration warmup;
    private final Duration window;
    private final double rampStart;
    private final double rampMax;
    private final String subprotocol;
    private long lost;

    private Suite(Map<String, String> a) {
        subscribers = Integer.parseInt(a.getOrDefault("subscribers", "1000"));
        idle = Integer.parseInt(a.getOrDefault("idle", "10000"));
        fixedRate = Double.parseDouble(a.getOrDefault("fixed-rate", "50"));
        warmup = Args.duration(a.getOrDefault("warmup", "3s"));
        window = Args.duration(a.getOrDefault("window", "5s"));
        // Low enough that every server holds the first step (10 000 deliveries/s to 1 000).
        rampStart = Double.parseDouble(a.getOrDefault("ramp-start", "10"));
        rampMax = Double.parseDouble(a.getOrDefault("ramp-max", "12800"));
        subprotocol = a.get("subprotocol");
    }

    /** A message rate every step can publish: enough publishers that none is a bottleneck. */
    private static int publishers(double rate) {
        return (int) Math.max(1, Math.min(50, Math.ceil(rate / 100)));
    }

    private static boolean sustained(Fleet.Result r) {
        return r.p99Ms() <= 100 && r.deliveredShare() >= 0.95 && r.subscribersClosed() == 0;
    }

    private String protocol(Server server) {
        return server.protocol() != null ? server.protocol() : subprotocol;
    }

    private Step step(Server server, double rate) throws Exception {
        try (ServerProcess process = ServerProcess.start(server.command(), server.env());
                Fleet fleet = Fleet.connect(process.url(), subscribers, protocol(server))) {
            if (!warmup.isZero()) fleet.run(rate, publishers(rate), Duration.ZERO, warmup, 64);
            double server0 = process.cpuSeconds(), generator0 = generatorCpuSeconds();
            long t0 = System.nanoTime();
            Fleet.Result r = fleet.run(rate, publishers(rate), Duration.ZERO, window, 64);
            double seconds = (System.nanoTime() - t0) / 1e9;
            Step step = new Step(r, 100 * (process.cpuSeconds() - server0) / seconds,
                    100 * (generatorCpuSeconds() - generator0) / seconds);
            lost += Math.max(0, r.lost());
            System.out.printf("  %-8s %7.0f msg/s -> %9.0f deliveries/s  p99 %8.2f ms  delivered %5.1f%%  closed %d"
                    + "  CPU server %3.0f%% generator %3.0f%%%n", server.name(), rate, r.deliveriesPerSecond(), r.p99Ms(),
                    100 * r.deliveredShare(), r.subscribersClosed(), step.serverCpuPercent(), step.generatorCpuPercent());
            return step;
        }
    }

    /** The load generator's own CPU: a saturated generator shows here, not as a slow server. */
    private static double generatorCpuSeconds() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
                .getOperatingSystemMXBean()).getProcessCpuTime() / 1e9;
    }

    private Figures measure(Server server) throws Exception {
        lost = 0;
        long[] startups = new long[3];
        for (int i = 0; i < startups.length; i++) {
            try (ServerProcess process = ServerProcess.start(server.command(), server.env())) {
                startups[i] = process.startupMillis;
            }
        }
        Arrays.sort(startups);
        System.out.printf("%s: start-up %d ms (median of 3)%n", server.name(), startups[1]);

        Fleet.Result fixed;
        double cpuPerDelivery, generatorPerDelivery;
        try (ServerProcess process = ServerProcess.start(server.command(), server.env());
                Fleet fleet = Fleet.connect(process.url(), subscribers, protocol(server))) {
            fleet.run(fixedRate, publishers(fixedRate), Duration.ZERO, warmup, 64);
            double cpuBefore = process.cpuSeconds(), generatorBefore = generatorCpuSeconds();
            fixed = fleet.run(fixedRate, publishers(fixedRate), Duration.ZERO, window, 64);
            cpuPerDelivery = (process.cpuSeconds() - cpuBefore) * 1e6 / Math.max(1, fixed.delivered());
            generatorPerDelivery = (generatorCpuSeconds() - generatorBefore) * 1e6 / Math.max(1, fixed.delivered());
            lost += Math.max(0, fixed.lost());
        }
        System.out.printf("%s: %.0f deliveries/s p99 %.2f ms, %.2f µs CPU per delivery (generator %.2f µs)%n",
                server.name(), fixed.deliveriesPerSecond(), fixed.p99Ms(), cpuPerDelivery, generatorPerDelivery);

        // Double until it no longer holds (p99 over 100 ms, under 95 % delivered, or clients
        // dropped), then bisect twice between the last rate that held and the first that did not.
        List<Step> ramp = new ArrayList<>();
        double good = 0, bad = 0;
        Fleet.Result best = null;
        for (double rate = rampStart; rate <= rampMax; rate *= 2) {
            Step step = step(server, rate);
            Fleet.Result r = step.result();
            ramp.add(step);
            if (!sustained(r)) {
                bad = rate;
                break;
            }
            good = rate;
            best = r;
        }
        for (int i = 0; i < 2 && good > 0 && bad > 0; i++) {
            double mid = (good + bad) / 2;
            Step step = step(server, mid);
            Fleet.Result r = step.result();
            ramp.add(step);
            if (sustained(r)) {
                good = mid;
                best = r;
            } else {
                bad = mid;
            }
        }

        long rss0, rss1;
        int held, failed;
        double perSecond;
        try (ServerProcess process = ServerProcess.start(server.command(), server.env())) {
            Thread.sleep(1000);
            rss0 = process.rssBytes();
            try (IdleConnections connections = IdleConnections.open(process.url(), idle, DIALS_IN_PARALLEL)) {
                Thread.sleep(2000);
                rss1 = process.rssBytes();
                held = connections.size();
                failed = connections.failures;
                perSecond = connections.openedPerSecond;
            }
        }
        double perConnection = held == 0 ? 0 : (rss1 - rss0) / 1024.0 / held;
        System.out.printf("%s: %d idle connections opened at %.0f/s (%d failed), %.2f KiB RSS each%n", server.name(),
                held, perSecond, failed, perConnection);
        return new Figures(server.name(), startups[1], fixed, cpuPerDelivery, generatorPerDelivery, ramp,
                best == null ? 0 : best.deliveriesPerSecond(), held, failed, perSecond, perConnection, lost);
    }

    private static String ratio(double ours, double theirs) {
        return theirs == 0 ? "-" : String.format("%.2f", ours / theirs);
    }

    private void print(List<Figures> all) {
        String[] names = all.stream().map(Figures::server).toArray(String[]::new);
        System.out.printf("%n%-44s", "metric");
        for (String n : names) System.out.printf("%16s", n);
        for (int i = 1; i < names.length; i++) System.out.printf("%18s", "chorus/" + names[i]);
        System.out.println();
        row(all, "start-up to accepting (ms, median of 3)", f -> (double) f.startupMillis());
        row(all, String.format("p99 at %.0f deliveries/s (ms)", fixedRate * subscribers), f -> f.fixed().p99Ms());
        row(all, String.format("p50 at %.0f deliveries/s (ms)", fixedRate * subscribers), f -> f.fixed().p50Ms());
        row(all, String.format("server CPU per delivery at %.0f/s (µs)", fixedRate * subscribers), Figures::cpuMicrosPerDelivery);
        row(all, "load generator CPU per delivery (µs)", Figures::generatorCpuMicrosPerDelivery);
        row(all, "max sustained deliveries/s", Figures::maxDeliveriesPerSecond);
        row(all, String.format("connections opened/s (%d dials in parallel)", DIALS_IN_PARALLEL),
                Figures::connectionsPerSecond);
        row(all, String.format("RSS per idle connection (KiB, %d held)", idle), Figures::rssKiBPerIdleConnection);
        row(all, "undelivered after 3 s drain (all runs)", f -> (double) f.lost());
    }

    private static void row(List<Figures> all, String label, java.util.function.ToDoubleFunction<Figures> value) {
        System.out.printf("%-44s", label);
        for (Figures f : all) System.out.printf("%16.2f", value.applyAsDouble(f));
        for (int i = 1; i < all.size(); i++) {
            System.out.printf("%18s", ratio(value.applyAsDouble(all.get(0)), value.applyAsDouble(all.get(i))));
        }
        System.out.println();
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> a = Args.parse(args);
        Suite suite = new Suite(a);
        List<Server> servers = new ArrayList<>();
        // Limits raised for the benchmark only: a few publishers carry the whole rate.
        // By default, Chorus exactly as the Procfile starts it on a dyno.
        String procfile = java.nio.file.Files.readString(Path.of("Procfile")).strip().replaceFirst("^web: ", "");
        servers.add(new Server("chorus", a.getOrDefault("server", procfile),
                Map.of("RATE_LIMIT_PER_SECOND", "1000000", "RATE_LIMIT_BURST", "1000000", "MAX_CONNECTIONS", "100000",
                        "MAX_CONNECTIONS_PER_ADDRESS", "100000", "RATE_LIMIT_PER_ADDRESS", "1000000",
                        "MAX_HTTP_CONNECTIONS_PER_ADDRESS", "100000"))); // every dialer is 127.0.0.1
        // Known references run side by side (bench/reference has the first two).
        // The -json ones do the chat's JSON work (parse the send, one message frame for all, a sent for the sender):
        // the references for --subprotocol chorus.v1.
        Map<String, String> known = Map.of(
                "node-ws", "node bench/reference/ws-server.js",
                "bun", "bench/reference/node_modules/.bin/bun bench/reference/bun-server.js",
                "node-ws-json", "node bench/reference/ws-json-server.js",
                "bun-json", "bench/reference/node_modules/.bin/bun bench/reference/bun-json-server.js",
                "javalin-naive", "java -cp " + System.getProperty("java.class.path") + " chorus.bench.NaiveJavalin",
                "socketio", "node bench/reference/socketio-server.js");
        for (String name : a.getOrDefault("references", "").split(",")) {
            if (name.isBlank()) continue;
            if (!known.containsKey(name)) throw new IllegalArgumentException("unknown reference " + name + "; known: " + known.keySet());
            servers.add(new Server(name, known.get(name), Map.of(), name.equals("socketio") ? Subscriber.SOCKET_IO : null));
        }
        if (a.containsKey("reference")) {
            servers.add(new Server(a.getOrDefault("reference-name", "reference"), a.get("reference"), Map.of()));
        }
        List<Figures> all = new ArrayList<>();
        for (Server server : servers) all.add(suite.measure(server));
        suite.print(all);
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("machine", Map.of("cores", Runtime.getRuntime().availableProcessors(),
                "java", System.getProperty("java.version"), "os", System.getProperty("os.name")));
        json.put("subscribers", suite.subscribers);
        json.put("subprotocol", suite.subprotocol == null ? "plain" : suite.subprotocol);
        json.put("results", all);
        Report.writeJson(Path.of(a.getOrDefault("json", "target/bench-results.json")), json);
    }
}
