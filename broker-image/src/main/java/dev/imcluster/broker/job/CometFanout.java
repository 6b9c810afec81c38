package dev.imcluster.broker.job;

import dev.imcluster.broker.api.internal.BroadcastReq;
import dev.imcluster.broker.api.internal.BroadcastRoomReq;
import dev.imcluster.broker.api.internal.PushMsgReq;
import dev.imcluster.broker.logging.RateLimitedLog;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends one call to a set of comets and completes when all of them accepted it; it fails (so the bus redelivers
 * the message) when any call failed. A comet whose circuit is open (see {@link CometClient}) is skipped and the
 * skip counted, so one dead comet cannot hold back the others: it gets each message after at most
 * {@link CometClient#FAILURES_TO_OPEN} failed attempts, then is skipped until it answers again or discovery
 * drops it (one probe per window goes through, and its failure counts as a skip, not a redelivery). Repeats caused by redelivery are dropped by the comets (message ids).
 */
final class CometFanout {

    private static final Logger log = LoggerFactory.getLogger(CometFanout.class);

    private final Counter failures;
    private final Counter skipped;
    private final RateLimitedLog failureLog = new RateLimitedLog(log, 10, java.util.concurrent.TimeUnit.SECONDS);

    CometFanout(MeterRegistry meters) {
        this.failures = Counter.builder("imcluster_job_push_failures")
                .description("Calls to a comet that failed or timed out (the message is redelivered)").register(meters);
        this.skipped = Counter.builder("imcluster_job_comet_skipped")
                .description("Calls not made because the comet failed repeatedly (messages it missed)").register(meters);
    }

    CompletableFuture<Void> pushMsg(List<CometClient> comets, PushMsgReq req) {
        return toAll(comets, c -> c.pushMsg(req));
    }

    CompletableFuture<Void> broadcast(List<CometClient> comets, BroadcastReq req) {
        return toAll(comets, c -> c.broadcast(req));
    }

    CompletableFuture<Void> broadcastRoom(List<CometClient> comets, BroadcastRoomReq req) {
        return toAll(comets, c -> c.broadcastRoom(req));
    }

    private CompletableFuture<Void> toAll(List<CometClient> comets, Function<CometClient, CompletableFuture<Void>> call) {
        List<CompletableFuture<Void>> calls = new ArrayList<>(comets.size());
        for (CometClient comet : comets) {
            switch (comet.admit()) {
                case SKIP -> skip(comet);
                // The probe of a comet already counted as down: its failure is a skip, never a redelivery.
                case PROBE -> calls.add(call.apply(comet).handle((ok, error) -> {
                    if (error != null) {
                        skip(comet);
                    }
                    return null;
                }));
                case CALL -> calls.add(call.apply(comet).whenComplete((ok, error) -> {
                    if (error != null) {
                        failures.increment();
                        failureLog.warn("push to comet failed, will be redelivered: " + error.getMessage());
                    }
                }));
            }
        }
        return CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new));
    }

    private void skip(CometClient comet) {
        skipped.increment();
        failureLog.warn("comet " + comet.address() + " is failing repeatedly; skipping it");
    }
}
