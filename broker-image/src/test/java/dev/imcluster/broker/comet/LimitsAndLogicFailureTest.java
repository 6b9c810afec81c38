package dev.imcluster.broker.comet;

import static dev.imcluster.broker.comet.CometHarness.auth;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import dev.imcluster.broker.api.pubsub.PublishRequest;
import dev.imcluster.broker.api.pubsub.SubscribeRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** comet when logic is down, and when comet.maxConnections is reached. */
class LimitsAndLogicFailureTest {

    @Test
    void whenLogicIsDownAuthClosesTheConnectionAndPublishFailsClearly() throws Exception {
        try (CometHarness h = new CometHarness()) {
            h.logic.close();
            try (GoimClient c = h.client(Transport.TCP)) {
                c.send(7, 1, auth(1, "nologic", "live://x"));
                c.awaitClosed();
            }
            assertThat(h.counter("imcluster.comet.auth.failures", "reason", "unavailable")).isEqualTo(1);
            assertThat(h.counter("imcluster.comet.disconnects", "reason", "auth_failed")).isEqualTo(1);
            StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class, () -> h.pubsub.publish(
                    PublishRequest.newBuilder().setTopic("t").setPayload(ByteString.copyFromUtf8("p")).build()));
            assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
            await().atMost(GoimClient.WAIT).untilAsserted(() -> assertThat(h.health.ready()).isFalse());
        }
    }

    @Test
    void connectionsBeyondTheLimitAreRefused() throws Exception {
        try (CometHarness h = new CometHarness(c -> c.comet.maxConnections = 1);
             GoimClient first = h.client(Transport.TCP)) {
            first.auth(auth(1, "first", "live://limit"));
            try (GoimClient second = h.client(Transport.TCP)) {
                second.awaitClosed();
            }
            SubscribeStream sub = new SubscribeStream();
            h.pubsubAsync.subscribe(SubscribeRequest.newBuilder().setTopic("live://limit").build(), sub);
            assertThat(sub.end.get(20, TimeUnit.SECONDS).getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
            assertThat(h.counter("imcluster.comet.disconnects", "reason", "max_connections"))
                    .as("the refused goim connection and the refused subscriber").isEqualTo(2);
            assertThat(first.heartbeat()).isEqualTo(1);
        }
    }
}
