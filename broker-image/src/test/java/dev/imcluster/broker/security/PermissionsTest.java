package dev.imcluster.broker.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.nimbusds.jose.jwk.OctetSequenceKey;
import dev.imcluster.broker.security.Permissions.Action;
import io.grpc.Context;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PermissionsTest {

    private static final byte[] SECRET = "0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.UTF_8);

    private static JwtVerifier verifier(boolean requirePermissions, SimpleMeterRegistry meters) {
        return new JwtVerifier(JwtKeys.of(new OctetSequenceKey.Builder(SECRET).build()), Set.of(), null, null,
                Duration.ofSeconds(30), requirePermissions, Clock.systemUTC(), meters);
    }

    private static Permissions verified(String claims, boolean required) throws Exception {
        return verifier(required, new SimpleMeterRegistry()).verifyWithPermissions(JwtTestTokens.hs256(SECRET, claims))
                .permissions();
    }

    @Test
    void theClaimAllowsExactlyItsPatterns() throws Exception {
        Permissions p = verified("{\"sub\":\"u\",\"imcluster\":{\"subscribe\":[\"live://*\",\"chat://a\"],"
                + "\"publish\":[\"chat://a\"]}}", false);
        assertThat(p.unrestricted()).isFalse();
        assertThat(p.allows(Action.SUBSCRIBE, "live://1")).isTrue();
        assertThat(p.allows(Action.SUBSCRIBE, "live://")).isTrue();
        assertThat(p.allows(Action.JOIN, "chat://a")).isTrue();
        assertThat(p.allows(Action.SUBSCRIBE, "chat://b")).isFalse();
        assertThat(p.allows(Action.SUBSCRIBE, "xlive://1")).as("the whole room must match").isFalse();
        assertThat(p.allows(Action.PUBLISH, "chat://a")).isTrue();
        assertThat(p.allows(Action.PUBLISH, "live://1")).as("subscribe does not grant publish").isFalse();
        // History, Presence and the goim joins read the room: they follow the subscribe list.
        for (Action a : Set.of(Action.HISTORY, Action.PRESENCE, Action.CHANGE_ROOM, Action.RESUME)) {
            assertThat(p.allows(a, "live://9")).as(a.tag()).isTrue();
            assertThat(p.allows(a, "chat://b")).as(a.tag()).isFalse();
        }
    }

    @Test
    void aListLeftOutAllowsNothingOfThatKind() throws Exception {
        Permissions p = verified("{\"imcluster\":{\"subscribe\":[\"*\"]}}", false);
        assertThat(p.allows(Action.SUBSCRIBE, "anything")).isTrue();
        assertThat(p.allows(Action.PUBLISH, "anything")).isFalse();
    }

    @Test
    void withoutTheClaimEverythingUnlessPermissionsAreRequired() throws Exception {
        assertThat(verified("{\"sub\":\"u\"}", false)).isSameAs(Permissions.ALL);
        assertThat(Permissions.ALL.allows(Action.PUBLISH, "x")).isTrue();
        Permissions none = verified("{\"sub\":\"u\"}", true);
        assertThat(none.unrestricted()).isFalse();
        for (Action a : Action.values()) {
            assertThat(none.allows(a, "live://1")).as(a.tag()).isFalse();
        }
        assertThat(verified("{\"imcluster\":{\"publish\":[\"a\"]}}", true).allows(Action.PUBLISH, "a")).isTrue();
    }

    @Test
    void aMalformedClaimRefusesTheTokenAsMalformed() throws Exception {
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        JwtVerifier v = verifier(false, meters);
        String[] bad = {
            "{\"imcluster\":[\"live://*\"]}",
            "{\"imcluster\":\"live://*\"}",
            "{\"imcluster\":{\"subscribe\":\"live://*\"}}",
            "{\"imcluster\":{\"publish\":[1]}}",
            "{\"imcluster\":{\"subscribe\":[\"\"]}}",
            "{\"imcluster\":null}",
        };
        for (String claims : bad) {
            String token = JwtTestTokens.hs256(SECRET, claims);
            AuthException e = catchThrowableOfType(() -> v.verifyWithPermissions(token), AuthException.class);
            assertThat(e).as(claims).isNotNull();
            assertThat(e.reason()).isEqualTo("malformed");
            assertThat(e.getMessage()).contains("imcluster");
            // verify() (claims only) refuses it too: a token is accepted or refused as a whole.
            assertThat(catchThrowableOfType(() -> v.verify(token), AuthException.class)).isNotNull();
        }
        assertThat(meters.get("imcluster.auth.refused").tag("reason", "malformed").counter().count())
                .isEqualTo(bad.length * 2);
    }

    @Test
    void theGateRefusesWithTheActionAndTopicAndCountsIt() throws Exception {
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        PermissionGate gate = new PermissionGate("comet", meters);
        Permissions p = Permissions.of(java.util.List.of("live://*"), java.util.List.of("chat://a"));
        Context call = Context.current().withValue(BearerAuth.PERMISSIONS, p).withValue(BearerAuth.CALLER, "jwt:u");
        StatusRuntimeException refused = call.call(() -> gate.checkCall(Action.PUBLISH, "live://1"));
        assertThat(refused.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
        assertThat(refused.getStatus().getDescription()).contains("publish", "'live://1'", "imcluster.publish");
        assertThat(call.call(() -> gate.checkCall(Action.PUBLISH, "chat://a"))).isNull();
        assertThat(call.call(() -> gate.checkCall(Action.SUBSCRIBE, "live://1"))).isNull();
        // No permissions in the context (internal token, open service): everything.
        assertThat(gate.checkCall(Action.PUBLISH, "live://1")).isNull();
        assertThat(meters.get("imcluster.comet.permission.denied").tag("action", "publish").counter().count())
                .isEqualTo(1);
        assertThat(meters.get("imcluster.comet.permission.denied").tag("action", "subscribe").counter().count())
                .isZero();
    }
}
