package dev.imcluster.broker.logic.auth;

import dev.imcluster.broker.security.AuthException;
import dev.imcluster.broker.security.Permissions;
import java.util.UUID;

/**
 * goim's behaviour ({@code internal/logic/conn.go}): the Auth JSON is trusted as is, with no token, and an empty
 * key gets a generated UUID. Only for standalone and clusters that choose it (goim issue #277).
 */
public final class GoimAuthenticator implements Authenticator {
    @Override
    public Identity authenticate(byte[] authBody) throws AuthException {
        AuthBody body = AuthBody.parse(authBody);
        String key = body.key().isEmpty() ? UUID.randomUUID().toString() : body.key();
        return new Identity(body.mid(), key, body.roomId(), body.platform(), body.accepts(),
                Permissions.ALL);
    }
}
