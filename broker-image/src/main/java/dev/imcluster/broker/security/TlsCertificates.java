package dev.imcluster.broker.security;

import dev.imcluster.broker.config.CometConfig;
import dev.imcluster.broker.config.ConfigException;
import io.grpc.netty.GrpcSslContexts;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A certificate and its key from PEM files, and for mutual TLS the CA bundle peers are checked against: comet's
 * client-facing certificate ({@code comet.tls}) and each role's internal one ({@code security.internalTls}, see
 * {@link InternalTls}). Read at start (errors name the key and file) and re-read every {@code reloadInterval}.
 * The files are compared by content, which also catches a Kubernetes Secret volume swapping its {@code ..data}
 * symlink. A changed pair (or bundle) that parses and matches replaces the old one for new handshakes; one that
 * does not is logged and counted, and the old one stays. Meters, tagged {@code certificate="client"|"internal"}:
 * {@code imcluster_tls_reloads_total{result}} and {@code imcluster_tls_certificate_not_after_seconds}.
 */
public final class TlsCertificates implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(TlsCertificates.class);

    private final String section;
    private final Path certFile;
    private final Path keyFile;
    /** The CA bundle, or null when peers are not checked (comet's client ports). */
    private final Path caFile;
    private final ReloadingKeyManager keyManager;
    private final ReloadingTrustManager trustManager;
    private final Counter reloaded;
    private final Counter failed;
    private final ScheduledExecutorService poller;
    private volatile PemKeyMaterial material;
    private byte[] seenCert;
    private byte[] seenKey;
    private byte[] seenCa;

    TlsCertificates(String section, String certificate, String certFile, String keyFile, String caFile,
                    Duration reloadInterval, ReloadingTrustManager.Refusals refusals, MeterRegistry meters) {
        this.section = section;
        this.certFile = Path.of(certFile);
        this.keyFile = Path.of(keyFile);
        this.caFile = caFile == null ? null : Path.of(caFile);
        byte[] cert = read(this.certFile, section + ".certFile");
        byte[] key = read(this.keyFile, section + ".keyFile");
        byte[] ca = this.caFile == null ? null : read(this.caFile, section + ".caFile");
        try {
            material = parse(cert, key);
            keyManager = new ReloadingKeyManager(material);
            trustManager = ca == null ? null : new ReloadingTrustManager(authorities(ca), refusals);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(e.getMessage(), e);
        }
        seenCert = cert;
        seenKey = key;
        seenCa = ca;
        reloaded = Counter.builder("imcluster.tls.reloads").tag("certificate", certificate).tag("result", "success")
                .description("Certificate reloads after the files changed, by result").register(meters);
        failed = Counter.builder("imcluster.tls.reloads").tag("certificate", certificate).tag("result", "failure")
                .description("Certificate reloads after the files changed, by result").register(meters);
        Gauge.builder("imcluster.tls.certificate.not.after", this, t -> t.material.notAfter().getTime() / 1000.0)
                .tag("certificate", certificate).baseUnit("seconds")
                .description("Expiry (Unix time) of the certificate presented in new handshakes").register(meters);
        poller = Executors.newSingleThreadScheduledExecutor(new DefaultThreadFactory("tls-reload", true));
        long every = reloadInterval.toMillis();
        poller.scheduleWithFixedDelay(this::checkQuietly, every, every, TimeUnit.MILLISECONDS);
    }

    /** comet's client-facing certificate of {@code config}, or null when TLS is off. */
    public static TlsCertificates start(CometConfig.TlsConfig config, MeterRegistry meters) {
        return config.enabled() ? new TlsCertificates("comet.tls", "client", config.certFile, config.keyFile, null,
                config.reloadInterval, null, meters) : null;
    }

    /** For goim TCP and WebSocket: a server context whose handshakes use the current certificate. */
    public SslContext nettyContext() throws SSLException {
        return SslContextBuilder.forServer(keyManager).sslProvider(SslProvider.JDK).build();
    }

    /** For a gRPC server (HTTP/2 over TLS with ALPN). */
    public SslContext grpcContext() throws SSLException {
        return GrpcSslContexts.configure(SslContextBuilder.forServer(keyManager), SslProvider.JDK).build();
    }

    /** The certificate new handshakes get. */
    public X509Certificate current() {
        return material.chain()[0];
    }

    /** Re-reads the files now; true when a changed pair or bundle was loaded. */
    public synchronized boolean check() {
        byte[] cert;
        byte[] key;
        byte[] ca;
        try {
            cert = Files.readAllBytes(certFile);
            key = Files.readAllBytes(keyFile);
            ca = caFile == null ? null : Files.readAllBytes(caFile);
        } catch (IOException e) {
            failed.increment();
            LOG.warn("{} reload: cannot read its files ({}); still using the certificate valid until {}", section,
                    e.toString(), material.notAfter());
            return false;
        }
        boolean pairChanged = !Arrays.equals(cert, seenCert) || !Arrays.equals(key, seenKey);
        boolean caChanged = !Arrays.equals(ca, seenCa);
        if (!pairChanged && !caChanged) {
            return false;
        }
        seenCert = cert;
        seenKey = key;
        seenCa = ca;
        try {
            // Both parsed before either is used: a bad file changes nothing.
            PemKeyMaterial next = pairChanged ? parse(cert, key) : material;
            List<X509Certificate> nextAuthorities = caChanged ? authorities(ca) : null;
            if (pairChanged) {
                keyManager.update(next);
                material = next;
            }
            if (caChanged) {
                trustManager.update(nextAuthorities);
            }
        } catch (IllegalArgumentException e) {
            failed.increment();
            LOG.warn("{} reload failed, still using the certificate valid until {}: {}", section,
                    material.notAfter(), e.getMessage());
            return false;
        }
        reloaded.increment();
        LOG.info("{} reloaded: {} (valid until {}){}", section, material.chain()[0].getSubjectX500Principal(),
                material.notAfter(), caChanged ? ", CA bundle of " + trustManager.getAcceptedIssuers().length
                        + " certificate(s)" : "");
        return true;
    }

    private void checkQuietly() {
        try {
            check();
        } catch (RuntimeException e) {
            LOG.warn("TLS reload check failed", e);
        }
    }

    private PemKeyMaterial parse(byte[] cert, byte[] key) {
        return PemKeyMaterial.parse(cert, section + ".certFile (" + certFile + ")", key,
                section + ".keyFile (" + keyFile + ")");
    }

    private List<X509Certificate> authorities(byte[] ca) {
        return List.of(PemKeyMaterial.certificates(ca, section + ".caFile (" + caFile + ")"));
    }

    ReloadingKeyManager keyManager() {
        return keyManager;
    }

    /** Null without a CA file. */
    ReloadingTrustManager trustManager() {
        return trustManager;
    }

    private static byte[] read(Path file, String configKey) {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new ConfigException(configKey + ": cannot read " + file + ": " + e, e);
        }
    }

    @Override
    public void close() {
        poller.shutdownNow();
    }
}
