package dev.imcluster.broker.job;

import static org.assertj.core.api.Assertions.assertThat;

import dev.imcluster.broker.api.internal.PushEnvelope;
import dev.imcluster.broker.mq.MessageBus;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/** GET /migration always answers, and says why the lag is unknown (the operator shows it in the Migrating condition). */
class PreviousBackendTest {

    @Test
    void aLagQueryThatHangsIsAnsweredAsUnknownWithTheReason() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        try (PreviousBackend previous = new PreviousBackend(bus(() -> {
            try {
                release.await(30, TimeUnit.SECONDS); // an unreachable broker: the admin call hangs
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return OptionalLong.of(0);
        }), "job", e -> CompletableFuture.completedFuture(null), new SimpleMeterRegistry())) {
            String json = previous.status().get(20, TimeUnit.SECONDS).toJson();
            assertThat(json).contains("\"lag\":null", "\"drained\":false", "did not report the lag within");
        } finally {
            release.countDown();
        }
    }

    @Test
    void aFailedLagQueryIsReportedAndAZeroLagIsADrain() throws Exception {
        try (PreviousBackend failing = new PreviousBackend(bus(() -> {
            throw new IllegalStateException("connection refused");
        }), "job", e -> CompletableFuture.completedFuture(null), new SimpleMeterRegistry())) {
            assertThat(failing.status().get(20, TimeUnit.SECONDS).toJson())
                    .contains("\"drained\":false", "lag query failed: connection refused");
        }
        try (PreviousBackend drained = new PreviousBackend(bus(() -> OptionalLong.of(0)), "job",
                e -> CompletableFuture.completedFuture(null), new SimpleMeterRegistry())) {
            assertThat(drained.status().get(20, TimeUnit.SECONDS).toJson())
                    .isEqualTo("{\"previous\":\"stub\",\"lag\":0,\"drained\":true}");
        }
    }

    /** Only the lag matters here; publishing and consuming are covered against the real backends elsewhere. */
    private static MessageBus bus(Supplier<OptionalLong> lag) {
        return new MessageBus() {
            @Override
            public String name() {
                return "stub";
            }

            @Override
            public CompletableFuture<dev.imcluster.broker.mq.Position> publish(PushEnvelope envelope) {
                return CompletableFuture.completedFuture(dev.imcluster.broker.mq.Position.NONE);
            }

            @Override
            public Subscription subscribe(String group, EnvelopeHandler handler) {
                return new Subscription() {
                    @Override
                    public OptionalLong lag() {
                        return lag.get();
                    }

                    @Override
                    public void close() {
                    }
                };
            }

            @Override
            public boolean healthy() {
                return true;
            }

            @Override
            public void close() {
            }
        };
    }
}
