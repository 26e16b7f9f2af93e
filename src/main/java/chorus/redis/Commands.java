package chorus.redis;

import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * The command connection, to one Redis or to a Redis Cluster: the commands Chorus uses are the
 * same on both (in a cluster each goes to its key's shard, a room's keys are under its hash tag,
 * and MGET and SCAN span the shards), so the rest of the code does not tell them apart.
 */
final class Commands {
    private final StatefulConnection<String, String> connection;

    Commands(StatefulConnection<String, String> connection) {
        this.connection = connection;
    }

    boolean isOpen() {
        return connection.isOpen();
    }

    RedisClusterAsyncCommands<String, String> async() {
        return connection instanceof StatefulRedisClusterConnection<String, String> cluster ? cluster.async()
                : ((StatefulRedisConnection<String, String>) connection).async();
    }

    RedisClusterCommands<String, String> sync() {
        return connection instanceof StatefulRedisClusterConnection<String, String> cluster ? cluster.sync()
                : ((StatefulRedisConnection<String, String>) connection).sync();
    }

    /** INFO memory of every primary (one, unless a cluster): the budget is for all of them together. */
    CompletionStage<List<String>> memory() {
        if (connection instanceof StatefulRedisClusterConnection<String, String> cluster) {
            return cluster.async().masters().commands().info("memory");
        }
        return async().info("memory").thenApply(List::of);
    }

    void closeAsync() {
        connection.closeAsync();
    }
}
