package chorus.redis;

import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisConnectionStateListener;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.ClusterTopologyRefreshOptions;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.SlotHash;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode;
import io.lettuce.core.cluster.pubsub.StatefulRedisClusterPubSubConnection;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.lettuce.core.resource.ClientResources;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The way to Redis, one node or a Redis Cluster: which it is, Chorus asks the node {@code
 * REDIS_URL} names at the first connection ({@code INFO cluster}). Every channel is a shard
 * channel ({@code SSUBSCRIBE}, {@code SPUBLISH}, Redis 7) under its room's hash tag, so in a
 * cluster a room's traffic stays on its shard: a subscription goes to the primary that owns the
 * channel's slot, and {@link #owner} tells which that is now (the topology is refreshed every
 * second and on every redirect), so a subscription left on a node that is no longer the owner (a
 * failover) is made again on the new one.
 */
final class Link {
    private static final Logger LOG = LoggerFactory.getLogger(Link.class);
    private static final Duration TOPOLOGY_REFRESH = Duration.ofSeconds(1);
    private final ClientResources resources;
    private final RedisURI uri;
    private final int requestQueue;
    private final RedisConnectionStateListener listener;
    private volatile AbstractRedisClient client; // chosen at the first connection that succeeds

    Link(ClientResources resources, RedisURI uri, int requestQueue, RedisConnectionStateListener listener) {
        this.resources = resources;
        this.uri = uri;
        this.requestQueue = requestQueue;
        this.listener = listener;
    }

    /**
     * Fail at once while disconnected rather than queue: the sender hears "unavailable" now. A
     * bounded request queue: while Redis hangs, commands past it fail at once instead of piling up
     * in the heap until their timeouts. The kernel probes idle connections too.
     */
    private <B extends ClientOptions.Builder> B options(B builder) {
        builder.autoReconnect(true).requestQueueSize(requestQueue)
                .socketOptions(SocketOptions.builder().keepAlive(true).build())
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS);
        return builder;
    }

    private synchronized AbstractRedisClient client() {
        if (client != null) return client;
        RedisClient single = RedisClient.create(resources, uri);
        single.setOptions(options(ClientOptions.builder()).build());
        boolean cluster;
        try (StatefulRedisConnection<String, String> probe = single.connect()) {
            cluster = probe.sync().info("cluster").contains("cluster_enabled:1");
        } catch (RuntimeException e) {
            single.shutdown(Duration.ZERO, Duration.ofSeconds(1));
            throw e;
        }
        if (cluster) {
            single.shutdown(Duration.ZERO, Duration.ofSeconds(1));
            RedisClusterClient many = RedisClusterClient.create(resources, uri);
            // A shard's connection is opened (and, after a failover, opened anew) on first use: what
            // comes meanwhile waits for it, within the command timeout, rather than being refused.
            many.setOptions(options(ClusterClientOptions.builder()).topologyRefreshOptions(ClusterTopologyRefreshOptions.builder()
                    .enablePeriodicRefresh(TOPOLOGY_REFRESH).enableAllAdaptiveRefreshTriggers().build())
                    .disconnectedBehavior(ClientOptions.DisconnectedBehavior.ACCEPT_COMMANDS).build());
            client = many;
        } else {
            client = single;
        }
        client.addListener(listener);
        LOG.info("Redis at {}:{}{} is {}", uri.getHost(), uri.getPort(), uri.isSsl() ? " (TLS)" : "",
                cluster ? "a cluster: rooms are spread over its shards" : "one node");
        return client;
    }

    Commands connect() {
        AbstractRedisClient c = client();
        if (!(c instanceof RedisClusterClient many)) return new Commands(((RedisClient) c).connect());
        StatefulRedisClusterConnection<String, String> connection = many.connect();
        try { // each primary's connection now: one opened on first use refuses what comes meanwhile
            for (RedisClusterNode node : connection.getPartitions()) {
                if (node.is(RedisClusterNode.NodeFlag.UPSTREAM)) connection.getConnection(node.getNodeId());
            }
        } catch (RuntimeException e) {
            connection.closeAsync();
            throw e;
        }
        return new Commands(connection);
    }

    StatefulRedisPubSubConnection<String, String> connectPubSub() {
        AbstractRedisClient c = client();
        if (c instanceof RedisClusterClient many) {
            StatefulRedisClusterPubSubConnection<String, String> pubSub = many.connectPubSub();
            pubSub.setNodeMessagePropagation(true); // what a shard's node hears reaches this connection's listeners
            return pubSub;
        }
        return ((RedisClient) c).connectPubSub();
    }

    /** The primary that owns the channel's slot now ("" on one node; null while none does, mid-failover). */
    String owner(String channel) {
        if (!(client instanceof RedisClusterClient many)) return "";
        RedisClusterNode node = many.getPartitions().getMasterBySlot(SlotHash.getSlot(channel));
        return node == null ? null : node.getNodeId();
    }

    /** Subscribes to a shard channel where it is published: on its owner, in a cluster. */
    CompletionStage<Void> subscribe(StatefulRedisPubSubConnection<String, String> c, String channel) {
        if (!(c instanceof StatefulRedisClusterPubSubConnection<String, String> many)) return c.async().ssubscribe(channel);
        String owner = owner(channel);
        if (owner == null) return CompletableFuture.failedFuture(new IllegalStateException("no primary owns " + channel));
        return many.getConnectionAsync(owner).thenCompose(node -> node.async().ssubscribe(channel));
    }

    void unsubscribe(StatefulRedisPubSubConnection<String, String> c, String channel) {
        if (!(c instanceof StatefulRedisClusterPubSubConnection<String, String> many)) {
            c.async().sunsubscribe(channel);
            return;
        }
        String owner = owner(channel);
        if (owner != null) many.getConnectionAsync(owner).thenAccept(node -> node.async().sunsubscribe(channel));
    }

    void shutdown() {
        AbstractRedisClient c = client;
        if (c != null) c.shutdown(Duration.ZERO, Duration.ofSeconds(1));
    }
}
