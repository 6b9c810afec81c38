package dev.imcluster.broker.logic;

import dev.imcluster.broker.config.BrokerConfig;
import dev.imcluster.broker.mq.Position;
import dev.imcluster.broker.redis.LazyRedisConnection;
import dev.imcluster.broker.redis.RedisClients;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SetArgs;
import io.lettuce.core.codec.StringCodec;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * Idempotency keys shared by every logic replica, in the session store's Redis: the first publish of a key claims
 * it ({@code SET NX}, marked pending), then records its outcome ({@code id TAB offset TAB epoch}); a repeat on any
 * replica gets that outcome. A claim whose publish failed is released, so its retry goes through; one whose
 * replica died expires with the window.
 */
final class SharedIdempotencyKeys implements AutoCloseable {

    static final String PENDING = "pending";
    private static final String RELEASE = "if redis.call('GET', KEYS[1]) == ARGV[1] then "
            + "return redis.call('DEL', KEYS[1]) else return 0 end";

    /** What a claim found: {@code claimed} (publish now), an earlier outcome, or another replica still publishing. */
    record Claim(boolean claimed, PushService.Accepted earlier) {
        boolean pending() {
            return !claimed && earlier == null;
        }
    }

    private final LazyRedisConnection<String, String> connection;
    private final long windowMillis;

    SharedIdempotencyKeys(BrokerConfig config, Duration window) {
        this.connection = new LazyRedisConnection<>(RedisClients.client(config.redis, config.security.internalTls, null), StringCodec.UTF8,
                "idempotency Redis " + RedisClients.where(config.redis));
        this.windowMillis = Math.max(1, window.toMillis());
    }

    private static String key(String id) {
        return "idem:{" + id + "}";
    }

    CompletableFuture<Claim> claim(String id) {
        return call(r -> r.set(key(id), PENDING, SetArgs.Builder.nx().px(windowMillis)).toCompletableFuture()
                .thenCompose(ok -> "OK".equals(ok) ? CompletableFuture.completedFuture(new Claim(true, null))
                        : r.get(key(id)).toCompletableFuture().thenApply(value -> value == null
                                ? new Claim(false, null) // expired or released meanwhile: the caller claims again
                                : new Claim(false, PENDING.equals(value) ? null : decode(value)))));
    }

    CompletableFuture<Void> complete(String id, PushService.Accepted accepted) {
        String value = accepted.id() + "\t" + accepted.position().offset() + "\t" + accepted.position().epoch();
        return call(r -> r.set(key(id), value, SetArgs.Builder.xx().px(windowMillis)).toCompletableFuture()
                .thenApply(ok -> null));
    }

    CompletableFuture<Void> release(String id) {
        return call(r -> r.eval(RELEASE, ScriptOutputType.INTEGER, new String[] {key(id)}, PENDING)
                .toCompletableFuture().thenApply(n -> null));
    }

    private static PushService.Accepted decode(String value) {
        String[] parts = value.split("\t", 3);
        return new PushService.Accepted(parts[0], new Position(Long.parseLong(parts[1]), parts[2]));
    }

    private <T> CompletableFuture<T> call(
            java.util.function.Function<io.lettuce.core.api.async.RedisAsyncCommands<String, String>,
                    CompletableFuture<T>> command) {
        try {
            return command.apply(connection.get().async());
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    @Override
    public void close() {
        connection.close();
    }
}
