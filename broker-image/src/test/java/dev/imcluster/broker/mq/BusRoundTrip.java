package dev.imcluster.broker.mq;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import dev.imcluster.broker.api.internal.PushEnvelope;
import java.time.Duration;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/** A bus that became healthy carries one message from publish to its subscriber: the backend TLS tests' check. */
public final class BusRoundTrip {
    private BusRoundTrip() {
    }

    public static void carriesOneMessage(MessageBus bus, Duration wait) throws Exception {
        await().atMost(wait).until(bus::healthy);
        Set<String> handled = ConcurrentHashMap.newKeySet();
        bus.subscribe("tls", e -> {
            handled.add(e.getMsgId());
            return CompletableFuture.completedFuture(null);
        });
        PushEnvelope e = PushEnvelope.newBuilder().setType(PushEnvelope.Type.ROOM).setRoom("r")
                .setMsg(ByteString.copyFromUtf8("m")).setMsgId(UUID.randomUUID().toString()).build();
        Position position = bus.publish(e).get(wait.toSeconds(), TimeUnit.SECONDS);
        assertThat(position.known()).isTrue();
        await().atMost(wait).until(() -> handled.contains(e.getMsgId()));
    }
}
