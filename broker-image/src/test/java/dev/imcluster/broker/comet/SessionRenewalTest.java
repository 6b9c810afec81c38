package dev.imcluster.broker.comet;

import static dev.imcluster.broker.comet.CometHarness.auth;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** As in goim, a client heartbeat renews the session in logic once the random renewal interval has passed. */
class SessionRenewalTest {

    @Test
    void heartbeatsRenewTheSessionInLogicAfterTheInterval() throws Exception {
        try (CometHarness h = new CometHarness(c -> {
            c.comet.protocol.sessionRenewMin = Duration.ofMillis(100);
            c.comet.protocol.sessionRenewMax = Duration.ofMillis(200);
        }); GoimClient c = h.client(Transport.TCP)) {
            c.auth(auth(1, "renew", "live://renew"));
            await().atMost(GoimClient.WAIT).pollInterval(Duration.ofMillis(100)).untilAsserted(() -> {
                c.heartbeat();
                assertThat(h.logic.heartbeats.get()).isPositive();
            });
        }
    }

    @Test
    void heartbeatsWithinTheIntervalDoNotCallLogic() throws Exception {
        try (CometHarness h = new CometHarness(); GoimClient c = h.client(Transport.TCP)) {
            c.auth(auth(1, "no-renew", "live://renew"));
            for (int i = 0; i < 5; i++) {
                c.heartbeat();
            }
            assertThat(h.logic.heartbeats.get()).isZero(); // the default interval is 10 to 30 minutes
        }
    }
}
