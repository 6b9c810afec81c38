package dev.imcluster.bench.pub;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;

/** Redis PUBLISH with lettuce's async API on several connections, used in turn (lettuce pipelines the commands). */
public final class RedisPublisher implements Publisher {
    private final RedisClient client;
    private final StatefulRedisConnection<byte[], byte[]>[] connections;
    private final RedisAsyncCommands<byte[], byte[]>[] commands;
    private final AtomicInteger next = new AtomicInteger();
    private final byte[][] channels;

    @SuppressWarnings("unchecked")
    public RedisPublisher(String host, int port, int connections, String[] channels) {
        this.client = RedisClient.create(RedisURI.create(host, port));
        this.connections = new StatefulRedisConnection[connections];
        this.commands = new RedisAsyncCommands[connections];
        for (int i = 0; i < connections; i++) {
            this.connections[i] = client.connect(ByteArrayCodec.INSTANCE);
            this.commands[i] = this.connections[i].async();
        }
        this.channels = new byte[channels.length][];
        for (int i = 0; i < channels.length; i++) {
            this.channels[i] = channels[i].getBytes(StandardCharsets.UTF_8);
        }
    }

    @Override
    public void publish(int target, byte[] payload, Callback callback) {
        commands[Math.floorMod(next.getAndIncrement(), commands.length)].publish(channels[target], payload)
                .whenComplete((receivers, error) -> callback.done(error));
    }

    @Override
    public String describe() {
        return "lettuce async PUBLISH, " + connections.length + " connections";
    }

    @Override
    public void close() {
        for (StatefulRedisConnection<byte[], byte[]> c : connections) {
            c.close();
        }
        client.shutdown();
    }
}
