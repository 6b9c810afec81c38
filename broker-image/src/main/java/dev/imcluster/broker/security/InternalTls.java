package dev.imcluster.broker.security;

import dev.imcluster.broker.config.SecurityConfig;
import dev.imcluster.broker.logging.RateLimitedLog;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyChannelBuilder;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import javax.net.ssl.TrustManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Mutual TLS between the roles ({@code security.internalTls}): this role's certificate and the CA bundle its
 * peers must chain to, both re-read when their files change (see {@link TlsCertificates}). Servers ask every
 * caller for a certificate and refuse at the handshake one that does not chain to the bundle; the internal
 * services ({@link #requireClientCertificate}) also refuse a caller that sent none, while a port's public
 * service (logic's PubSubService beside its Logic service) keeps its bearer-token check. Clients present the
 * certificate and check the server's against the bundle and {@code serverName}. Each refusal is counted in
 * {@code imcluster_internal_tls_refused_total{peer="client"|"server",reason}} and logged, rate-limited.
 */
public final class InternalTls implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(InternalTls.class);
    private static final RateLimitedLog REFUSALS = new RateLimitedLog(LOG, 20, 10, TimeUnit.SECONDS);

    private final TlsCertificates certificates;
    private final String serverName;
    private final MeterRegistry meters;
    private final Map<String, Counter> refused = new ConcurrentHashMap<>();

    private InternalTls(SecurityConfig.InternalTlsConfig config, MeterRegistry meters) {
        this.meters = meters;
        this.serverName = config.serverName == null || config.serverName.isBlank() ? null : config.serverName;
        this.certificates = new TlsCertificates("security.internalTls", "internal", config.certFile, config.keyFile,
                config.caFile, config.reloadInterval, this::refused, meters);
    }

    /** The internal TLS of {@code config}, or null when it is off (plaintext, as before). */
    public static InternalTls start(SecurityConfig.InternalTlsConfig config, MeterRegistry meters) {
        return config.enabled() ? new InternalTls(config, meters) : null;
    }

    /**
     * For an internal gRPC server: asks for a client certificate and refuses an untrusted one at the handshake;
     * whether one must be sent is up to each service ({@link #requireClientCertificate}).
     */
    public SslContext serverContext() throws SSLException {
        return GrpcSslContexts.configure(SslContextBuilder.forServer(certificates.keyManager())
                .trustManager(certificates.trustManager()).clientAuth(ClientAuth.OPTIONAL), SslProvider.JDK).build();
    }

    /** For an internal gRPC client: presents this role's certificate, checks the server's. */
    public SslContext clientContext() throws SSLException {
        return GrpcSslContexts.configure(SslContextBuilder.forClient().keyManager(certificates.keyManager())
                .trustManager(certificates.trustManager()), SslProvider.JDK).build();
    }

    /** The same for clients that take a JDK context (NATS). */
    public SSLContext jdkContext() {
        try {
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(new KeyManager[] {certificates.keyManager()},
                    new TrustManager[] {certificates.trustManager()}, null);
            return context;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot build the internal TLS context: " + e.getMessage(), e);
        }
    }

    /**
     * {@code builder} over mutual TLS with {@code tls}, checking the server's name against {@code serverName}
     * when set (the dialed address otherwise); plaintext when {@code tls} is null.
     */
    public static NettyChannelBuilder secure(NettyChannelBuilder builder, InternalTls tls) {
        if (tls == null) {
            return builder.usePlaintext();
        }
        try {
            builder.sslContext(tls.clientContext());
        } catch (SSLException e) {
            throw new IllegalStateException("cannot build the internal TLS client context: " + e.getMessage(), e);
        }
        return tls.serverName == null ? builder : builder.overrideAuthority(tls.serverName);
    }

    /** {@code service}, refusing with UNAUTHENTICATED a call whose connection carries no client certificate. */
    public ServerServiceDefinition requireClientCertificate(ServerServiceDefinition service) {
        return ServerInterceptors.intercept(service, new ServerInterceptor() {
            @Override
            public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                              ServerCallHandler<Q, R> next) {
                if (hasClientCertificate(call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION))) {
                    return next.startCall(call, headers);
                }
                count("client", "no_certificate");
                REFUSALS.warn("internal TLS: refused a call to {} from {}: no client certificate",
                        call.getMethodDescriptor().getFullMethodName(),
                        call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR));
                call.close(Status.UNAUTHENTICATED.withDescription(
                        "a client certificate from this cluster's internal CA is required"), new Metadata());
                return new ServerCall.Listener<>() {
                };
            }
        });
    }

    private static boolean hasClientCertificate(SSLSession session) {
        try {
            return session != null && session.getPeerCertificates().length > 0;
        } catch (SSLPeerUnverifiedException e) {
            return false;
        }
    }

    private void refused(String peer, CertificateException cause, String address) {
        String reason = ReloadingTrustManager.reason(cause);
        count(peer, reason);
        // A server's engine does not know the caller's address during the handshake; a client's knows the name.
        REFUSALS.warn("internal TLS: refused the {}{} ({}): {}", peer, address == null ? "" : " at " + address, reason,
                cause.getMessage());
    }

    private void count(String peer, String reason) {
        refused.computeIfAbsent(peer + "/" + reason, k -> Counter.builder("imcluster.internal.tls.refused")
                .tag("peer", peer).tag("reason", reason)
                .description("Internal TLS peers refused: a caller without a valid client certificate, or a server"
                        + " whose certificate does not chain to the CA bundle or name").register(meters))
                .increment();
    }

    /** Re-reads the files now (tests; otherwise every reloadInterval). */
    public boolean check() {
        return certificates.check();
    }

    @Override
    public void close() {
        certificates.close();
    }
}
