package dev.imcluster.broker.security;

import io.grpc.Metadata;

/** The {@code authorization: Bearer <token>} header, as gRPC metadata and HTTP carry it. */
public final class Bearer {
    public static final Metadata.Key<String> AUTHORIZATION =
            Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
    public static final String PREFIX = "Bearer ";

    private Bearer() {
    }

    /** The token of an {@code authorization} header value, or null when there is none or it is not a Bearer one. */
    public static String token(String header) {
        if (header == null || header.length() <= PREFIX.length()
                || !header.regionMatches(true, 0, PREFIX, 0, PREFIX.length())) {
            return null;
        }
        String token = header.substring(PREFIX.length()).trim();
        return token.isEmpty() ? null : token;
    }
}
