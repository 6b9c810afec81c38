package dev.imcluster.bench.pub;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import java.nio.charset.StandardCharsets;

/** Redis PUBLISH with lettuce's async API on one connection (lettuce pipelines the commands). */
public final class RedisPublisher implements Publisher {
    private final RedisClient client;
    private final StatefulRedisConnection<byte[], byte[]> connection;
    private final RedisAsyncCommands<byte[], byte[]> commands;
    private final byte[][] channels;

    public RedisPublisher(String host, int port, String[] channels) {
        this.client = RedisClient.create(RedisURI.create(host, port));
        this.connection = client.connect(ByteArrayCodec.INSTANCE);
        this.commands = connection.async();
        this.channels = new byte[channels.length][];
        for (int i = 0; i < channels.length; i++) {
            this.channels[i] = channels[i].getBytes(StandardCharsets.UTF_8);
        }
    }

    @Override
    public void publish(int target, byte[] payload, Callback callback) {
        commands.publish(channels[target], payload).whenComplete((receivers, error) -> callback.done(error));
    }

    @Override
    public String describe() {
        return "lettuce async PUBLISH";
    }

    @Override
    public void close() {
        connection.close();
        client.shutdown();
    }
}
