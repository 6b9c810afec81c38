package dev.imcluster.broker.logic;

import com.google.protobuf.ByteString;
import dev.imcluster.broker.api.internal.PushEnvelope;
import dev.imcluster.broker.mq.MessageBus;
import dev.imcluster.broker.mq.Position;
import dev.imcluster.broker.session.SessionStore;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * goim's push operations: build {@link PushEnvelope}s (each with a unique msg id and its publish time) and hand
 * them to the queue. Key and mid pushes resolve the comets through the session store, one envelope per comet.
 * The futures fail with the bus's or store's exception, which callers map to 503 / UNAVAILABLE.
 */
public final class PushService {

    private final MessageBus bus;
    private final SessionStore sessions;
    private final MessageIds ids;
    private final Map<PushEnvelope.Type, Counter> published = new LinkedHashMap<>();
    private final Map<PushEnvelope.Type, Counter> failed = new LinkedHashMap<>();
    private final Counter unknownKeys;

    public PushService(MessageBus bus, SessionStore sessions, String serverId, MeterRegistry meters) {
        this.bus = bus;
        this.sessions = sessions;
        this.ids = new MessageIds(serverId);
        for (PushEnvelope.Type type : List.of(PushEnvelope.Type.PUSH, PushEnvelope.Type.ROOM,
                PushEnvelope.Type.BROADCAST)) {
            String tag = type.name().toLowerCase(java.util.Locale.ROOT);
            published.put(type, Counter.builder("imcluster_logic_published").tag("type", tag)
                    .description("Push envelopes handed to the queue").register(meters));
            failed.put(type, Counter.builder("imcluster_logic_publish_failures").tag("type", tag)
                    .description("Push envelopes the queue refused (answered 503 / UNAVAILABLE)").register(meters));
        }
        this.unknownKeys = Counter.builder("imcluster_logic_push_unknown_keys")
                .description("Keys (or mids) of key/mid pushes with no session; nothing is sent to them")
                .register(meters);
    }

    /** What the queue accepted: the message's id and its position in its room's (or key's) stream. */
    public record Accepted(String id, Position position) {
    }

    public CompletableFuture<List<Accepted>> pushKeys(int operation, Collection<String> keys, byte[] msg) {
        return sessions.serversByKeys(keys).thenCompose(byServer -> {
            unknownKeys.increment(keys.size() - byServer.size());
            return publishPerServer(operation, byServer, msg);
        });
    }

    public CompletableFuture<List<Accepted>> pushMids(int operation, Collection<Long> mids, byte[] msg) {
        return sessions.keysByMids(mids).thenCompose(byServer -> {
            if (byServer.isEmpty()) {
                unknownKeys.increment(mids.size());
            }
            return publishPerServer(operation, byServer, msg);
        });
    }

    /** {@code room} is the full room id, goim's {@code type://id} (or a gRPC topic). */
    public CompletableFuture<Accepted> pushRoom(int operation, String room, byte[] msg) {
        return pushRoom(operation, room, msg, Map.of());
    }

    /** With the publisher's headers, carried to every receiver. */
    public CompletableFuture<Accepted> pushRoom(int operation, String room, byte[] msg, Map<String, String> headers) {
        return publish(envelope(PushEnvelope.Type.ROOM, operation, msg).setRoom(room).putAllHeaders(headers));
    }

    public CompletableFuture<Accepted> pushAll(int operation, int speed, byte[] msg) {
        return publish(envelope(PushEnvelope.Type.BROADCAST, operation, msg).setSpeed(speed));
    }

    private CompletableFuture<List<Accepted>> publishPerServer(int operation, Map<String, String> keyToServer,
                                                               byte[] msg) {
        Map<String, List<String>> keysByServer = new LinkedHashMap<>();
        keyToServer.forEach((key, server) -> keysByServer.computeIfAbsent(server, s -> new ArrayList<>()).add(key));
        List<CompletableFuture<Accepted>> all = new ArrayList<>();
        keysByServer.forEach((server, keys) -> all.add(publish(
                envelope(PushEnvelope.Type.PUSH, operation, msg).setServer(server).addAllKeys(keys))));
        return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new))
                .thenApply(done -> all.stream().map(CompletableFuture::join).toList());
    }

    private PushEnvelope.Builder envelope(PushEnvelope.Type type, int operation, byte[] msg) {
        return PushEnvelope.newBuilder()
                .setType(type)
                .setOperation(operation)
                .setMsg(ByteString.copyFrom(msg))
                .setMsgId(ids.next())
                .setPublishedAtMicros(ChronoUnit.MICROS.between(Instant.EPOCH, Instant.now()));
    }

    private CompletableFuture<Accepted> publish(PushEnvelope.Builder builder) {
        PushEnvelope e = builder.build();
        CompletableFuture<Position> result;
        try {
            result = bus.publish(e);
        } catch (RuntimeException ex) {
            result = CompletableFuture.failedFuture(ex);
        }
        return result.whenComplete((ok, error) -> (error == null ? published : failed).get(e.getType()).increment())
                .thenApply(position -> new Accepted(e.getMsgId(), position));
    }
}
