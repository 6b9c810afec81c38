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
import java.util.Arrays;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * comet's client-facing certificate ({@code comet.tls}), read from PEM files at start (errors name the key and
 * file) and re-read every {@code reloadInterval}. The files are compared by content, which also catches a
 * Kubernetes Secret volume swapping its {@code ..data} symlink. A changed pair that parses and matches replaces
 * the certificate for new handshakes; one that does not is logged and counted, and the old certificate stays.
 * Meters: {@code imcluster_tls_reloads_total{result}} and {@code imcluster_tls_certificate_not_after_seconds}.
 */
public final class TlsCertificates implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(TlsCertificates.class);

    private final Path certFile;
    private final Path keyFile;
    private final ReloadingKeyManager keyManager;
    private final Counter reloaded;
    private final Counter failed;
    private final ScheduledExecutorService poller;
    private volatile PemKeyMaterial material;
    private byte[] seenCert;
    private byte[] seenKey;

    private TlsCertificates(CometConfig.TlsConfig config, MeterRegistry meters) {
        this.certFile = Path.of(config.certFile);
        this.keyFile = Path.of(config.keyFile);
        byte[] cert = read(certFile, "comet.tls.certFile");
        byte[] key = read(keyFile, "comet.tls.keyFile");
        try {
            material = parse(cert, key);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(e.getMessage(), e);
        }
        seenCert = cert;
        seenKey = key;
        keyManager = new ReloadingKeyManager(material);
        reloaded = Counter.builder("imcluster.tls.reloads").tag("result", "success")
                .description("Certificate reloads after the files changed, by result").register(meters);
        failed = Counter.builder("imcluster.tls.reloads").tag("result", "failure")
                .description("Certificate reloads after the files changed, by result").register(meters);
        Gauge.builder("imcluster.tls.certificate.not.after", this, t -> t.material.notAfter().getTime() / 1000.0)
                .baseUnit("seconds").description("Expiry (Unix time) of the certificate served to new clients")
                .register(meters);
        poller = Executors.newSingleThreadScheduledExecutor(new DefaultThreadFactory("tls-reload", true));
        long every = config.reloadInterval.toMillis();
        poller.scheduleWithFixedDelay(this::checkQuietly, every, every, TimeUnit.MILLISECONDS);
    }

    /** The certificate of {@code config}, or null when TLS is off. */
    public static TlsCertificates start(CometConfig.TlsConfig config, MeterRegistry meters) {
        return config.enabled() ? new TlsCertificates(config, meters) : null;
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
    public java.security.cert.X509Certificate current() {
        return material.chain()[0];
    }

    /** Re-reads the files now; true when a changed pair was loaded. */
    public synchronized boolean check() {
        byte[] cert;
        byte[] key;
        try {
            cert = Files.readAllBytes(certFile);
            key = Files.readAllBytes(keyFile);
        } catch (IOException e) {
            failed.increment();
            LOG.warn("TLS reload: cannot read {} or {} ({}); still serving the certificate valid until {}",
                    certFile, keyFile, e.toString(), material.notAfter());
            return false;
        }
        if (Arrays.equals(cert, seenCert) && Arrays.equals(key, seenKey)) {
            return false;
        }
        seenCert = cert;
        seenKey = key;
        try {
            PemKeyMaterial next = parse(cert, key);
            keyManager.update(next);
            material = next;
        } catch (IllegalArgumentException e) {
            failed.increment();
            LOG.warn("TLS reload failed, still serving the certificate valid until {}: {}", material.notAfter(),
                    e.getMessage());
            return false;
        }
        reloaded.increment();
        LOG.info("TLS certificate reloaded: {} (valid until {})", material.chain()[0].getSubjectX500Principal(),
                material.notAfter());
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
        return PemKeyMaterial.parse(cert, "comet.tls.certFile (" + certFile + ")", key,
                "comet.tls.keyFile (" + keyFile + ")");
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
