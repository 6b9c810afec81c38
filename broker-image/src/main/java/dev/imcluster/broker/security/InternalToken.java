package dev.imcluster.broker.security;

import dev.imcluster.broker.config.ConfigException;
import io.grpc.ClientInterceptor;
import io.grpc.Metadata;
import io.grpc.stub.MetadataUtils;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The shared token that protects logic's push API and the internal gRPC services ({@code security.internalTokenFile}).
 * Presented tokens are compared through their SHA-256 digests with {@link MessageDigest#isEqual}, so the time taken
 * depends neither on where they differ nor on their length.
 */
public final class InternalToken {
    /** Shorter tokens are refused at start: they could be guessed. */
    public static final int MIN_LENGTH = 16;

    private final String token;
    private final byte[] digest;

    InternalToken(String token) {
        this.token = token;
        this.digest = sha256(token);
    }

    /** The token in {@code file}, or null when no file is configured (the internal endpoints are then open). */
    public static InternalToken load(String file) {
        if (file == null) {
            return null;
        }
        String token;
        try {
            token = Files.readString(Path.of(file), StandardCharsets.UTF_8).trim();
        } catch (IOException e) {
            throw new ConfigException("security.internalTokenFile: cannot read " + file + ": " + e, e);
        }
        if (token.length() < MIN_LENGTH) {
            throw new ConfigException("security.internalTokenFile: the token in " + file + " must be at least "
                    + MIN_LENGTH + " characters, got " + token.length());
        }
        if (!token.chars().allMatch(ch -> ch > 0x20 && ch < 0x7f)) {
            throw new ConfigException("security.internalTokenFile: the token in " + file
                    + " must be printable ASCII without spaces (it travels in an HTTP header)");
        }
        return new InternalToken(token);
    }

    /** True when {@code presented} is this token; constant-time. */
    public boolean matches(String presented) {
        return presented != null && MessageDigest.isEqual(digest, sha256(presented));
    }

    /** Adds {@code authorization: Bearer <token>} to every call of a channel or stub. */
    public ClientInterceptor clientInterceptor() {
        Metadata headers = new Metadata();
        headers.put(Bearer.AUTHORIZATION, Bearer.PREFIX + token);
        return MetadataUtils.newAttachHeadersInterceptor(headers);
    }

    /** The interceptor of {@code token}, or none: for channels whose peer may or may not require it. */
    public static ClientInterceptor[] interceptors(InternalToken token) {
        return token == null ? new ClientInterceptor[0] : new ClientInterceptor[] {token.clientInterceptor()};
    }

    /** The HTTP header value. */
    public String authorizationHeader() {
        return Bearer.PREFIX + token;
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public String toString() {
        return "InternalToken[redacted]";
    }
}
