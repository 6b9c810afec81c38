package dev.imcluster.broker.logic.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.jwk.OctetSequenceKey;
import dev.imcluster.broker.security.AuthException;
import dev.imcluster.broker.security.JwtTestTokens;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

/** The two Authenticators (moved out of JwtVerifierTest when JwtVerifier went to the security package). */
class AuthenticatorTest {

    private static final byte[] SECRET = "0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.UTF_8);
    private static final Clock CLOCK = Clock.fixed(Instant.ofEpochSecond(1_800_000_000L), ZoneOffset.UTC);

    @Test
    void jwtAuthenticatorTakesTheUserFromTheTokenOnly() throws Exception {
        JwtAuthenticator auth = new JwtAuthenticator(JwtTestTokens.verifier(CLOCK, null, null,
                new OctetSequenceKey.Builder(SECRET).build()));
        String token = JwtTestTokens.hs256(SECRET, "{\"mid\":77,\"room_id\":\"live://1\"}");
        Identity id = auth.authenticate(("{\"mid\":1,\"key\":\"k\",\"room_id\":\"live://2\",\"accepts\":[1000],"
                + "\"token\":\"" + token + "\"}").getBytes(StandardCharsets.UTF_8));
        assertThat(id).isEqualTo(new Identity(77, "k", "live://1", "", java.util.List.of(1000),
                dev.imcluster.broker.security.Permissions.ALL));
        assertThatThrownBy(() -> auth.authenticate("{\"mid\":1}".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(AuthException.class).hasMessageContaining("token");
    }

    @Test
    void goimAuthenticatorTrustsTheJsonAndGeneratesKeys() throws Exception {
        Identity id = new GoimAuthenticator().authenticate(
                "{\"mid\":123,\"room_id\":\"live://1000\",\"platform\":\"web\",\"accepts\":[1000,1001]}"
                        .getBytes(StandardCharsets.UTF_8));
        assertThat(id.mid()).isEqualTo(123);
        assertThat(id.key()).hasSize(36);
        assertThat(id.accepts()).containsExactly(1000, 1001);
        assertThatThrownBy(() -> new GoimAuthenticator().authenticate("{".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(AuthException.class).hasMessageContaining("JSON");
    }
}
