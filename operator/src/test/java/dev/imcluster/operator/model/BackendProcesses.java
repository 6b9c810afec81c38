package dev.imcluster.operator.model;

import dev.imcluster.broker.config.SecurityConfig;
import dev.imcluster.operator.api.v1alpha1.PubSubCluster;
import dev.imcluster.operator.api.v1alpha1.TlsSpec;
import dev.imcluster.operator.testing.Examples;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * For the tests that run a managed backend's server (the Debian package) as the operator renders it: an example
 * with internal TLS and its certificates, Secrets written as files, the pod's paths mapped to local ones.
 */
final class BackendProcesses {
    private BackendProcesses() {
    }

    /** {@code example} with spec.tls.internal on. */
    static PubSubCluster withInternalTls(String example) {
        PubSubCluster c = Examples.load(example);
        c.getSpec().tls = new TlsSpec();
        c.getSpec().tls.internal = new TlsSpec.Internal();
        c.getSpec().tls.internal.enabled = true;
        return c;
    }

    /** The certificates the operator would issue for a new cluster {@code c}. */
    static InternalCertificates.Plan plan(PubSubCluster c) {
        return InternalCertificates.plan(c, Map.of(), Map.of(), Map.of(), Instant.now(), new SecureRandom());
    }

    /** A new directory {@code dir/name} holding {@code files} (a Secret's data: name to text). */
    static Path directory(Path dir, String name, Map<String, String> files) throws IOException {
        Path d = Files.createDirectory(dir.resolve(name));
        for (Map.Entry<String, String> f : files.entrySet()) {
            Files.writeString(d.resolve(f.getKey()), f.getValue(), StandardCharsets.US_ASCII);
        }
        return d;
    }

    static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The container's arguments with each pod path or port (in order) replaced by its local stand-in. */
    static List<String> local(List<String> args, Map<String, String> replacements) {
        List<String> out = new ArrayList<>();
        for (String arg : args) {
            for (Map.Entry<String, String> r : replacements.entrySet()) {
                arg = arg.replace(r.getKey(), r.getValue());
            }
            out.add(arg);
        }
        return out;
    }

    /** Pod path or port to local stand-in, in the order given: {@code from1, to1, from2, to2, ...}. */
    static Map<String, String> replacements(String... pairs) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            m.put(pairs[i], pairs[i + 1]);
        }
        return m;
    }

    /** The broker's internal TLS settings for a role whose certificate Secret was written to {@code dir}. */
    static SecurityConfig.InternalTlsConfig internalTls(Path dir) {
        SecurityConfig.InternalTlsConfig files = new SecurityConfig.InternalTlsConfig();
        files.certFile = dir.resolve(InternalCertificates.TLS_CERT).toString();
        files.keyFile = dir.resolve(InternalCertificates.TLS_KEY).toString();
        files.caFile = dir.resolve(InternalCertificates.CA_CERT).toString();
        return files;
    }

    /** A client context that trusts the first CA of {@code caFile} and presents no certificate. */
    static SSLContext trustingOnly(Path caFile) throws Exception {
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("ca", X509Certificates.parseCertificates(Files.readString(caFile)).get(0));
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, tmf.getTrustManagers(), null);
        return context;
    }

    /** Stops a server this test started. */
    static void stop(Process p) throws InterruptedException {
        if (p != null) {
            p.destroy();
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        }
    }
}
