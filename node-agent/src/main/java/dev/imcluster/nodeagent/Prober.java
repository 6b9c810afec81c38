package dev.imcluster.nodeagent;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.HTTPGetAction;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Probe;
import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.util.List;
import java.util.Objects;

/** Runs a container's probes against the pod's address: httpGet and tcpSocket; exec is not run and passes. */
final class Prober {
    private final Container container;
    private final String ip;

    Prober(Container container, String ip) {
        this.container = container;
        this.ip = ip;
    }

    boolean probe(Probe probe) {
        int timeoutMillis = Objects.requireNonNullElse(probe.getTimeoutSeconds(), 1) * 1000;
        try {
            if (probe.getHttpGet() != null) {
                HTTPGetAction h = probe.getHttpGet();
                String path = h.getPath() == null || h.getPath().isEmpty() ? "/" : h.getPath();
                HttpURLConnection conn = (HttpURLConnection) URI.create(
                        "http://" + ip + ":" + port(h.getPort()) + path).toURL().openConnection();
                conn.setConnectTimeout(timeoutMillis);
                conn.setReadTimeout(timeoutMillis);
                try {
                    int code = conn.getResponseCode();
                    return code >= 200 && code < 400;
                } finally {
                    conn.disconnect();
                }
            }
            if (probe.getTcpSocket() != null) {
                try (Socket s = new Socket()) {
                    s.connect(new InetSocketAddress(ip, port(probe.getTcpSocket().getPort())), timeoutMillis);
                    return true;
                }
            }
            return true;
        } catch (IOException | IllegalArgumentException e) {
            return false;
        }
    }

    /** A port by number or by the container port's name. */
    int port(IntOrString port) {
        if (port.getIntVal() != null) {
            return port.getIntVal();
        }
        String s = port.getStrVal();
        if (s.matches("\\d+")) {
            return Integer.parseInt(s);
        }
        for (ContainerPort p : Objects.requireNonNullElse(container.getPorts(), List.<ContainerPort>of())) {
            if (s.equals(p.getName())) {
                return p.getContainerPort();
            }
        }
        throw new IllegalArgumentException("no container port named " + s);
    }
}
