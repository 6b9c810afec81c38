package dev.imcluster.broker.job;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.imcluster.broker.mq.MessageBus;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * During a backend swap ({@code mq.previous.backend}), job's second subscription: the same group and handler on
 * the old backend, plus its drain state. Lag is measured on this class's own thread (a network round trip), never
 * on the caller's: every {@link #REFRESH} for the gauge {@code imcluster_job_previous_backend_lag}, and afresh
 * for each {@link #status()} call, because "drained" only counts when it is read after the last publish to the
 * old backend (the operator asks once no logic pod publishes there any more).
 */
final class PreviousBackend implements AutoCloseable {

    static final Duration REFRESH = Duration.ofSeconds(5);
    /** Below the operator's probe timeout (5 s), so an unreachable old backend gets an answer that says so. */
    static final Duration ANSWER_WITHIN = Duration.ofSeconds(3);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One answer of GET /migration; drained means the lag is known and zero. */
    record Status(String previous, OptionalLong lag, String problem) {

        boolean drained() {
            return lag.isPresent() && lag.getAsLong() == 0;
        }

        String toJson() {
            ObjectNode n = JSON.createObjectNode();
            n.put("previous", previous);
            if (lag.isPresent()) {
                n.put("lag", lag.getAsLong());
            } else {
                n.putNull("lag");
            }
            n.put("drained", drained());
            if (problem != null) {
                n.put("problem", problem);
            }
            return n.toString();
        }
    }

    private final MessageBus bus;
    private final MessageBus.Subscription subscription;
    private final ScheduledExecutorService measurer;
    private final AtomicLong lastLag = new AtomicLong(-1);

    PreviousBackend(MessageBus bus, String group, MessageBus.EnvelopeHandler handler, MeterRegistry meters) {
        this.bus = bus;
        this.measurer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "job-previous-backend");
            t.setDaemon(true);
            return t;
        });
        this.subscription = bus.subscribe(group, handler);
        Gauge.builder("imcluster_job_previous_backend_lag", lastLag, AtomicLong::get).tag("previous", bus.name())
                .description("Messages of job's group not yet handled on the previous backend during a backend swap"
                        + " (-1 while unknown)")
                .register(meters);
        measurer.scheduleWithFixedDelay(this::measure, 0, REFRESH.toMillis(), TimeUnit.MILLISECONDS);
    }

    String name() {
        return bus.name();
    }

    /** Measures the lag now (on this class's thread); an unknown lag with the reason if that takes too long. */
    CompletableFuture<Status> status() {
        return CompletableFuture.supplyAsync(this::measure, measurer).completeOnTimeout(
                new Status(bus.name(), OptionalLong.empty(), bus.name() + " did not report the lag within "
                        + ANSWER_WITHIN.toSeconds() + " s (unreachable?)"),
                ANSWER_WITHIN.toMillis(), TimeUnit.MILLISECONDS);
    }

    private Status measure() {
        OptionalLong lag;
        String problem = null;
        try {
            lag = subscription.lag();
        } catch (RuntimeException e) {
            lag = OptionalLong.empty();
            problem = "lag query failed: " + e.getMessage();
        }
        lastLag.set(lag.orElse(-1));
        if (lag.isEmpty() && problem == null) {
            problem = bus.name() + " reports no lag yet (not connected or not consuming)";
        }
        return new Status(bus.name(), lag, problem);
    }

    @Override
    public void close() {
        measurer.shutdownNow();
        subscription.close();
    }
}
