package dev.imcluster.operator;

import io.javaoperatorsdk.operator.Operator;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

import java.io.IOException;

/** Test access to the package-private HTTP endpoints, on a free port. */
public final class HttpEndpointsAccess implements AutoCloseable {
    private final HttpEndpoints endpoints;

    private HttpEndpointsAccess(HttpEndpoints endpoints) {
        this.endpoints = endpoints;
    }

    public static HttpEndpointsAccess start(Operator operator, PrometheusMeterRegistry registry) throws IOException {
        return new HttpEndpointsAccess(new HttpEndpoints(0, operator, registry));
    }

    public String url(String path) {
        return "http://127.0.0.1:" + endpoints.port() + path;
    }

    @Override
    public void close() {
        endpoints.close();
    }
}
