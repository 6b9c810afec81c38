package dev.imcluster.broker.job;

import dev.imcluster.broker.api.internal.BroadcastReq;
import dev.imcluster.broker.api.internal.BroadcastRoomReq;
import dev.imcluster.broker.api.internal.PushMsgReq;
import dev.imcluster.broker.api.internal.RoomMessage;
import dev.imcluster.broker.logging.RateLimitedLog;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends one call to a set of comets and completes when each of them accepted it or its loss was counted; it
 * fails (so the bus redelivers the message) while a comet that is still discovered cannot be reached. What a comet
 * misses is counted in {@code imcluster_job_comet_skipped_total{reason}} (messages, not calls) and logged:
 * <ul>
 *   <li>{@code not_running}: the comet refused the connection, so it holds no client;</li>
 *   <li>{@code unreachable}: its calls failed for {@code job.comets.unreachableHold} in a row (see
 *       {@link CometClient}); this bounds how long one dead comet can hold the others back;</li>
 *   <li>{@code gone}: discovery dropped it while messages were held for it.</li>
 * </ul>
 * Repeats caused by redelivery are dropped by the comets (message ids).
 */
final class CometFanout {

    private static final Logger log = LoggerFactory.getLogger(CometFanout.class);

    private final Counter failures;
    private final Counter notRunning;
    private final Counter unreachable;
    private final Counter gone;
    private final RateLimitedLog failureLog = new RateLimitedLog(log, 10, TimeUnit.SECONDS);
    private final RateLimitedLog skipLog = new RateLimitedLog(log, 10, TimeUnit.SECONDS);

    CometFanout(MeterRegistry meters) {
        this.failures = Counter.builder("imcluster_job_push_failures")
                .description("Calls to a comet that failed or timed out (the message is redelivered)").register(meters);
        this.notRunning = skipped(meters, "not_running");
        this.unreachable = skipped(meters, "unreachable");
        this.gone = skipped(meters, "gone");
    }

    private static Counter skipped(MeterRegistry meters, String reason) {
        return Counter.builder("imcluster_job_comet_skipped").tag("reason", reason)
                .description("Messages a comet did not get: not running (connection refused), unreachable for "
                        + "job.comets.unreachableHold, or gone from discovery while they were held").register(meters);
    }

    CompletableFuture<Void> pushMsg(List<CometClient> comets, PushMsgReq req) {
        return toAll(comets, c -> c.pushMsg(req), List.of(req.getMsgId()));
    }

    CompletableFuture<Void> broadcast(List<CometClient> comets, BroadcastReq req) {
        return toAll(comets, c -> c.broadcast(req), List.of(req.getMsgId()));
    }

    CompletableFuture<Void> broadcastRoom(List<CometClient> comets, BroadcastRoomReq req) {
        return toAll(comets, c -> c.broadcastRoom(req),
                req.getMessagesList().stream().map(RoomMessage::getMsgId).toList());
    }

    /** Discovery dropped {@code comet}: the messages held for it are lost to it. */
    void dropped(CometClient comet) {
        int lost = comet.markGone();
        if (lost > 0) {
            gone.increment(lost);
            skipLog.warn("comet {} is gone from discovery; {} message(s) held for it are dropped for it",
                    comet.address(), lost);
        }
    }

    private CompletableFuture<Void> toAll(List<CometClient> comets, Function<CometClient, CompletableFuture<Void>> call,
                                          List<String> msgIds) {
        List<CompletableFuture<Void>> calls = new ArrayList<>(comets.size());
        for (CometClient comet : comets) {
            switch (comet.admit()) {
                case SKIP -> skip(comet, unreachable, msgIds, "unreachable for job.comets.unreachableHold");
                // The probe of a comet given up: its failure is a skip, never a redelivery.
                case PROBE -> calls.add(call.apply(comet).handle((ok, error) -> {
                    if (error != null) {
                        skip(comet, unreachable, msgIds, "unreachable for job.comets.unreachableHold");
                    } else {
                        comet.settled(msgIds);
                    }
                    return null;
                }));
                case CALL -> calls.add(call.apply(comet).handle((ok, error) -> {
                    if (error == null) {
                        comet.settled(msgIds);
                    } else if (CometClient.refused(error)) {
                        skip(comet, notRunning, msgIds, "not running (connection refused)");
                    } else if (comet.gone()) {
                        int lost = comet.lostAfterGone(msgIds);
                        gone.increment(lost);
                        skipLog.warn("comet {} is gone from discovery; {} message(s) dropped for it",
                                comet.address(), lost);
                    } else {
                        comet.held(msgIds);
                        failures.increment();
                        failureLog.warn("push to comet failed, will be redelivered: {}", error.getMessage());
                        throw new java.util.concurrent.CompletionException(error);
                    }
                    return null;
                }));
            }
        }
        return CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new));
    }

    private void skip(CometClient comet, Counter reason, List<String> msgIds, String why) {
        reason.increment(msgIds.size());
        comet.settled(msgIds);
        skipLog.warn("comet {} is {}; {} message(s) skipped for it", comet.address(), why, msgIds.size());
    }
}
