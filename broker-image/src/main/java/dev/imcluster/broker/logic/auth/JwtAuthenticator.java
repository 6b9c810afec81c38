package dev.imcluster.broker.logic.auth;

import com.fasterxml.jackson.databind.JsonNode;
import dev.imcluster.broker.security.AuthException;
import dev.imcluster.broker.security.JwtVerifier;
import java.util.List;
import java.util.UUID;

/**
 * Requires a JWT in the Auth JSON's {@code token} field. The user id comes only from the token ({@code mid}
 * claim, or a numeric {@code sub}); key, room_id, platform and accepts come from the claims of those names when
 * present, otherwise from the Auth JSON. The permissions come from the {@code imcluster} claim.
 */
public final class JwtAuthenticator implements Authenticator {

    private final JwtVerifier verifier;

    public JwtAuthenticator(JwtVerifier verifier) {
        this.verifier = verifier;
    }

    @Override
    public Identity authenticate(byte[] authBody) throws AuthException {
        AuthBody body = AuthBody.parse(authBody);
        if (body.token().isEmpty()) {
            throw new AuthException("a JWT is required in the Auth body's token field");
        }
        JwtVerifier.Verified verified = verifier.verifyWithPermissions(body.token());
        JsonNode claims = verified.claims();
        long mid = claims.has("mid") ? AuthBody.mid(claims.get("mid")) : numericSubject(claims);
        String key = claims.hasNonNull("key") ? claims.get("key").asText() : body.key();
        if (key.isEmpty()) {
            key = UUID.randomUUID().toString();
        }
        String room = claims.hasNonNull("room_id") ? claims.get("room_id").asText() : body.roomId();
        String platform = claims.hasNonNull("platform") ? claims.get("platform").asText() : body.platform();
        List<Integer> accepts = claims.has("accepts") ? AuthBody.accepts(claims.get("accepts")) : body.accepts();
        return new Identity(mid, key, room, platform, accepts, verified.permissions());
    }

    private static long numericSubject(JsonNode claims) {
        String sub = AuthBody.text(claims, "sub");
        return sub.matches("\\d{1,18}") ? Long.parseLong(sub) : 0;
    }
}
