package chorus;

import chorus.api.Api;
import chorus.api.Operator;
import chorus.api.Tokens;
import chorus.config.Config;
import chorus.hub.Hub;
import chorus.hub.Backend;
import chorus.hub.CloseCodes;
import chorus.hub.MemoryBackend;
import chorus.metrics.Metrics;
import chorus.redis.RedisBackend;
import chorus.redis.SharedOutbox;
import chorus.config.Hooks;
import chorus.hub.Activity;
import chorus.tasks.QuietLog;
import chorus.webhooks.Events;
import chorus.webhooks.MemoryLedger;
import chorus.webhooks.Queue;
import chorus.webhooks.PublishHook;
import chorus.webhooks.Signer;
import chorus.webhooks.WebhookActivity;
import chorus.webhooks.Webhooks;
import chorus.tasks.TaskFailures;
import chorus.web.Assets;
import chorus.web.BadRequests;
import chorus.web.HttpConnections;
import chorus.web.Health;
import chorus.web.JoinCheck;
import chorus.web.RequestPermits;
import chorus.web.SecurityHeaders;
import chorus.ws.CheckedUpgradeHandler;
import chorus.ws.Keepalive;
import chorus.ws.QuietClose;
import chorus.ws.Sockets;
import chorus.ws.Upgrade;
import io.javalin.Javalin;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.jetty.JettyServerThreadPoolMetrics;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ScheduledExecutorService;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.eclipse.jetty.websocket.core.WebSocketComponents;
import org.eclipse.jetty.websocket.core.server.WebSocketUpgradeHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The whole application, built from a {@link Config}: the routes in one place, started and
 * stopped by {@code main} and by the tests alike.
 */
public final class ChorusServer {
    private static final Logger LOG = LoggerFactory.getLogger(ChorusServer.class);
    private static final long DRAIN_MILLIS = 3_000; // inside Heroku's 30 s and our 10 s promise

    private final Config config;
    private final Hub hub;
    private final ScheduledExecutorService timer; // keepalive sweeps and presence updates
    private final Keepalive keepalive;
    private final Metrics metrics = new Metrics();
    private final Upgrade upgrade;
    private final Sockets sockets;
    private final Javalin app;
    private final Webhooks webhooks; // null: no WEBHOOK_URL

    public ChorusServer(Config config) {
        this.config = config;
        TaskFailures tasks = new TaskFailures(metrics.registry());
        ScheduledThreadPoolExecutor timer = tasks.thread("chorus-timer", "timer");
        timer.setRemoveOnCancelPolicy(true); // a cancelled header deadline lets go of its connection now
        this.timer = timer;
        QuietLog quiet = new QuietLog(timer);
        Backend backend = config.redisUrl() == null ? new MemoryBackend()
                : new RedisBackend(config.redisUrl(), config.redisTlsVerify(), config.historySize(), config.redisMaxBytes(), config.redisMaxRefs(), tasks,
                        metrics.registry());
        Hooks hooks = config.hooks();
        Events events = new Events(hooks.webhookEvents());
        // With Redis, events wait in Redis and people are counted there, for every instance.
        SharedOutbox shared = hooks.webhookUrl() != null && backend instanceof RedisBackend redis
                ? redis.webhooks(events, hooks.webhookQueueBytes(), metrics.registry()) : null;
        this.webhooks = hooks.webhookUrl() == null ? null : new Webhooks(hooks.webhookUrl(), new Signer(hooks.webhookSecret()),
                shared != null ? shared : new Queue(hooks.webhookQueueBytes()), hooks.webhookTimeout(), tasks, metrics.registry());
        Activity activity = webhooks == null ? Activity.NONE : new WebhookActivity(webhooks, events,
                shared != null ? shared : new MemoryLedger(events, webhooks, timer), hooks.offlineGrace());
        PublishHook publishHook = hooks.publishHookUrl() == null ? null : new PublishHook(hooks.publishHookUrl(),
                new Signer(hooks.webhookSecret()), hooks.publishHookTimeout(), hooks.allowOnHookFailure(), config.maxMessageBytes(),
                metrics.registry());
        this.hub = new Hub(backend, config.historySize(), config.historyBytes(), config.pace(), config.maxRooms(), config.maxIdleRooms(), timer,
                activity, metrics.registry());
        this.upgrade = new Upgrade(hub, config, publishHook, timer, quiet, metrics.registry());
        this.sockets = upgrade.sockets();
        this.keepalive = new Keepalive(sockets, timer, config.pingInterval(), config.idleTimeout());
        Health health = new Health(hub, sockets);
        Assets assets = new Assets();
        backend.onOrder(new Operator(hub, upgrade, backend)::carryOut);
        Api api = config.apiToken() == null ? null
                : new Api(hub, backend, webhooks, events, config.apiToken(), config.maxMessageBytes(), metrics.registry());
        // Behind a proxy every peer is the proxy: the cap per address applies to sockets only.
        HttpConnections connections = new HttpConnections(timer, config.headerTimeout(), config.maxHttpConnections(),
                config.trustProxy() ? 0 : config.maxHttpConnectionsPerAddress(), metrics.registry());
        String metricsToken = config.metricsToken() != null ? config.metricsToken() : config.apiToken();
        this.app = Javalin.create(c -> {
            c.startup.showJavalinBanner = false;
            c.startup.showOldJavalinVersionWarning = false;
            c.routes.before(SecurityHeaders::apply);
            BadRequests.install(c, quiet, metrics.registry());
            for (String path : assets.paths()) c.routes.get(path, assets::handle);
            c.routes.get("/health", health::handle);
            c.routes.post("/check", new JoinCheck(upgrade, config.maxTokenBytes())::handle);
            if (metricsToken != null) c.routes.before("/metrics", new Tokens(metricsToken, "metrics", metrics.registry())::check);
            c.routes.get("/metrics", metrics::handle);
            if (api != null) api.routes(c); // without API_TOKEN, /api answers 404
            // /ws is served by Jetty's core WebSocket handler, in front of Javalin's servlet: it lets
            // us pick the subprotocol and refuse an upgrade with a status before any socket
            // exists, and keeps nothing of the HTTP request once the socket is open.
            c.jetty.modifyServer(server -> {
                server.setHandler(webSockets(config, upgrade, connections, metrics));
                // Capped (MAX_THREADS); a reconnect storm still grows the pool to its cap, and by
                // default it gives back one idle thread a minute, so it stayed grown for hours.
                if (server.getThreadPool() instanceof QueuedThreadPool pool) {
                    pool.setName("chorus-jetty"); // entry points on it assert so (tasks.Threads)
                    pool.setMaxThreads(config.maxThreads());
                    pool.setIdleTimeout(30_000);
                    pool.setMaxEvictCount(32);
                    new JettyServerThreadPoolMetrics(pool, Tags.empty()).bindTo(metrics.registry());
                }
                connections.install(server);
            });
        });
    }

    private static WebSocketUpgradeHandler webSockets(Config config, Upgrade upgrade, HttpConnections connections, Metrics metrics) {
        WebSocketComponents components = new WebSocketComponents();
        // Chat messages are small; compressing each one again for every recipient would cost
        // more CPU than it saves bytes.
        components.getExtensionRegistry().unregister("permessage-deflate");
        QuietClose.register(components);
        WebSocketUpgradeHandler handler = new CheckedUpgradeHandler(components, "/ws");
        // Upgrades first, then the HTTP caps' gate and the permits; Javalin puts its servlet context in
        // the innermost wrapper, behind them.
        Handler.Wrapper gate = connections.gate();
        gate.setHandler(RequestPermits.handler(config.maxThreads(), config.maxHttpConnections(), config.headerTimeout(),
                config.trustProxy(), metrics.registry()));
        handler.setHandler(gate);
        handler.getConfiguration().setIdleTimeout(config.idleTimeout());
        // Our endpoint assembles text and applies each mode's limit; no frame may exceed the larger.
        handler.getConfiguration().setMaxFrameSize(6L * config.maxMessageBytes() + 1024);
        // Whole frames as the client sent them: every frame costs a token and counts as a
        // fragment, so Jetty must not split a large one into pieces of its read buffer.
        handler.getConfiguration().setAutoFragment(false);
        handler.addMapping("/ws", upgrade);
        return handler;
    }

    public ChorusServer start() {
        app.start("0.0.0.0", config.port());
        keepalive.start();
        metrics.bindJvm();
        LOG.info("Chorus ready at http://localhost:{}/", port());
        return this;
    }

    public int port() {
        return app.port();
    }

    public Hub hub() {
        return hub;
    }

    public Sockets sockets() {
        return sockets;
    }

    /** Graceful: refuse upgrades, close every socket with 1001, give the closes a moment, stop. */
    public void stop() {
        sockets.drain(CloseCodes.GOING_AWAY, CloseCodes.RESTARTING);
        long deadline = System.currentTimeMillis() + DRAIN_MILLIS;
        while (sockets.size() > 0 && System.currentTimeMillis() < deadline) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        timer.shutdownNow();
        app.stop();
        upgrade.stop();
        if (webhooks != null) webhooks.stop(); // before the backend: with Redis it lets go of who was here
        hub.stop();
        metrics.close();
    }
}
