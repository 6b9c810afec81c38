package dev.imcluster.broker.logic;

import static org.assertj.core.api.Assertions.assertThat;

import dev.imcluster.broker.config.BrokerConfig;
import dev.imcluster.broker.mq.Position;
import dev.imcluster.broker.testinfra.RedisServerProcess;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** Idempotency keys across logic replicas: two IdempotentPublishes sharing one real Redis. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SharedIdempotencyTest {

    private RedisServerProcess redis;
    private final List<SharedIdempotencyKeys> opened = new ArrayList<>();

    @BeforeAll
    void start() {
        redis = RedisServerProcess.launch();
    }

    @AfterAll
    void stop() {
        opened.forEach(SharedIdempotencyKeys::close);
        redis.close();
    }

    private IdempotentPublishes replica() {
        BrokerConfig config = new BrokerConfig();
        config.redis.address = redis.address();
        SharedIdempotencyKeys keys = new SharedIdempotencyKeys(config, Duration.ofMinutes(2));
        opened.add(keys);
        return new IdempotentPublishes(Duration.ofMinutes(2), 1000, keys);
    }

    @Test
    void aKeyRepeatedOnAnotherReplicaIsPublishedOnceAndAnsweredWithTheFirstOutcome() throws Exception {
        IdempotentPublishes a = replica();
        IdempotentPublishes b = replica();
        AtomicInteger published = new AtomicInteger();
        CompletableFuture<PushService.Accepted> slow = new CompletableFuture<>();
        CompletableFuture<PushService.Accepted> first = a.publish("orders", "k-1", () -> {
            published.incrementAndGet();
            return slow;
        });
        // Each replica claims the key on its own Redis connection, so the repeat must start only after the first
        // claim won, or it may win the race itself (CI saw that once).
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (published.get() == 0 && System.nanoTime() - deadline < 0) {
            Thread.sleep(5);
        }
        assertThat(published).hasValue(1);
        // The repeat arrives on the other replica while the first publish is still in flight: it waits for it.
        CompletableFuture<PushService.Accepted> repeat = b.publish("orders", "k-1", () -> {
            published.incrementAndGet();
            return CompletableFuture.completedFuture(new PushService.Accepted("dup", new Position(99, "e")));
        });
        Thread.sleep(100);
        assertThat(repeat).isNotDone();
        slow.complete(new PushService.Accepted("m-1", new Position(7, "memory:x")));
        assertThat(first.get(5, TimeUnit.SECONDS)).isEqualTo(repeat.get(5, TimeUnit.SECONDS));
        assertThat(repeat.get().id()).isEqualTo("m-1");
        assertThat(repeat.get().position()).isEqualTo(new Position(7, "memory:x"));
        assertThat(published).hasValue(1);
        // Later repeats on either replica get the same answer without publishing.
        assertThat(b.publish("orders", "k-1", () -> CompletableFuture.failedFuture(new AssertionError("published")))
                .get(5, TimeUnit.SECONDS).id()).isEqualTo("m-1");
    }

    @Test
    void aFailedPublishReleasesItsKeySoThatTheRetryGoesThroughOnAnyReplica() throws Exception {
        IdempotentPublishes a = replica();
        IdempotentPublishes b = replica();
        CompletableFuture<PushService.Accepted> failed = a.publish("orders", "k-2",
                () -> CompletableFuture.failedFuture(new IllegalStateException("queue down (test)")));
        assertThat(failed).failsWithin(5, TimeUnit.SECONDS);
        PushService.Accepted retried = b.publish("orders", "k-2",
                () -> CompletableFuture.completedFuture(new PushService.Accepted("m-2", new Position(8, "e"))))
                .get(5, TimeUnit.SECONDS);
        assertThat(retried.id()).isEqualTo("m-2");
    }

    @Test
    void differentTopicsDoNotShareAKey() throws Exception {
        IdempotentPublishes a = replica();
        assertThat(a.publish("t1", "same", () -> CompletableFuture.completedFuture(
                new PushService.Accepted("x", new Position(1, "e")))).get(5, TimeUnit.SECONDS).id()).isEqualTo("x");
        assertThat(replica().publish("t2", "same", () -> CompletableFuture.completedFuture(
                new PushService.Accepted("y", new Position(2, "e")))).get(5, TimeUnit.SECONDS).id()).isEqualTo("y");
    }
}
