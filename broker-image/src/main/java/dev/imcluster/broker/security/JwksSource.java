package dev.imcluster.broker.security;

import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import dev.imcluster.broker.logging.RateLimitedLog;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.ParseException;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One JWK Set document, from the identity provider's URL or from a file (a mounted Secret). It holds the last good
 * set: a fetch that fails, or brings something that is not a JWK Set with keys, is logged (rate-limited) and
 * counted in {@code imcluster_auth_jwks_refreshes_total{source,result}}, and the keys in use stay.
 */
final class JwksSource {
    private static final Logger LOG = LoggerFactory.getLogger(JwksSource.class);
    static final Duration HTTP_TIMEOUT = Duration.ofSeconds(5);

    /** Reads the document's current bytes. */
    @FunctionalInterface
    interface Fetch {
        byte[] get() throws IOException, InterruptedException;
    }

    private final String name;
    private final Fetch fetch;
    private final Duration onDemandEvery;
    private final Counter succeeded;
    private final Counter failed;
    private final RateLimitedLog failures = new RateLimitedLog(LOG, 3, 1, TimeUnit.MINUTES);
    private volatile List<JWK> keys = List.of();
    private byte[] seen;
    private long lastOnDemandNanos;
    private boolean askedOnDemand;

    private JwksSource(String name, String source, Fetch fetch, Duration onDemandEvery, MeterRegistry meters) {
        this.name = name;
        this.fetch = fetch;
        this.onDemandEvery = onDemandEvery;
        this.succeeded = counter(meters, source, "success");
        this.failed = counter(meters, source, "failure");
    }

    static JwksSource url(String url, Duration onDemandEvery, MeterRegistry meters) {
        HttpClient client = HttpClient.newBuilder().connectTimeout(HTTP_TIMEOUT)
                .followRedirects(HttpClient.Redirect.NORMAL).build(); // NORMAL never follows https to http
        HttpRequest request = HttpRequest.newBuilder(URI.create(url)).timeout(HTTP_TIMEOUT)
                .header("Accept", "application/jwk-set+json, application/json").GET().build();
        return new JwksSource("logic.auth.jwksUrl (" + url + ")", "url", () -> {
            HttpResponse<byte[]> response = client.send(request, HttpResponse.BodyHandlers.ofByteArray());
            if (response.statusCode() != 200) {
                throw new IOException("HTTP " + response.statusCode());
            }
            return response.body();
        }, onDemandEvery, meters);
    }

    static JwksSource file(String file, Duration onDemandEvery, MeterRegistry meters) {
        Path path = Path.of(file);
        return new JwksSource("logic.auth.jwksFile (" + file + ")", "file", () -> Files.readAllBytes(path),
                onDemandEvery, meters);
    }

    private static Counter counter(MeterRegistry meters, String source, String result) {
        return Counter.builder("imcluster.auth.jwks.refreshes").tag("source", source).tag("result", result)
                .description("JWK Set fetches (URL) and reads (file), by result").register(meters);
    }

    String name() {
        return name;
    }

    /** The keys of the last good JWK Set (none before the first succeeded). */
    List<JWK> keys() {
        return keys;
    }

    /** Loads the set, or says why not; for the first load of a file, which must work at start. */
    synchronized void load() throws IOException, InterruptedException, ParseException {
        byte[] body = fetch.get();
        if (Arrays.equals(body, seen)) {
            return;
        }
        JWKSet set = JWKSet.parse(new String(body, StandardCharsets.UTF_8));
        if (set.getKeys().isEmpty()) {
            throw new ParseException("the JWK Set has no keys", 0);
        }
        keys = List.copyOf(set.getKeys());
        seen = body;
        LOG.info("{}: {} JWT keys loaded (kid {})", name, keys.size(), keys.stream().map(JWK::getKeyID).toList());
    }

    /** Re-reads the set now; a failure is logged and counted and keeps the keys in use. */
    synchronized void refresh() {
        try {
            load();
            succeeded.increment();
        } catch (IOException | ParseException e) {
            failed.increment();
            failures.warn("{}: cannot refresh the JWT keys ({}); still using the {} keys loaded before", name,
                    e.toString(), keys.size());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Re-reads the set for a token that names an unknown key, unless that was done less than {@code onDemandEvery}
     * ago: a flood of made-up kids costs at most one fetch per interval. Callers that wait here while another
     * refreshes see its result.
     */
    synchronized void refreshOnDemand() {
        long now = System.nanoTime();
        if (askedOnDemand && now - lastOnDemandNanos < onDemandEvery.toNanos()) {
            return;
        }
        askedOnDemand = true;
        lastOnDemandNanos = now;
        refresh();
    }
}
