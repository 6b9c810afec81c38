package dev.imcluster.bench.cluster;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/** Debian's nats-server (with JetStream) and redis-server, each on a free loopback port. */
public final class PeerServers {
    private PeerServers() {
    }

    public static final class Nats extends ChildProcess {
        public final int port;

        private Nats(int port, Path dir) {
            super("nats-server", List.of("nats-server", "-a", "127.0.0.1", "-p", String.valueOf(port), "-js",
                    "-sd", dir.resolve("jetstream").toString()), Map.of(), dir);
            this.port = port;
        }

        public static Nats start(Path dir) {
            Nats n = new Nats(freePort(), dir);
            n.awaitReady(() -> canConnect(n.port), Duration.ofSeconds(30));
            return n;
        }

        public String url() {
            return "nats://127.0.0.1:" + port;
        }
    }

    public static final class Redis extends ChildProcess {
        public final int port;

        private Redis(int port, Path dir) {
            // No persistence; pub/sub subscribers may buffer up to 256 MB before Redis cuts them off.
            super("redis-server", List.of("redis-server", "--bind", "127.0.0.1", "--port", String.valueOf(port),
                    "--save", "", "--appendonly", "no", "--protected-mode", "no", "--dir", dir.toString(),
                    "--client-output-buffer-limit", "pubsub 256mb 256mb 0"), Map.of(), dir);
            this.port = port;
        }

        public static Redis start(Path dir) {
            Redis r = new Redis(freePort(), dir);
            r.awaitReady(() -> canConnect(r.port), Duration.ofSeconds(30));
            return r;
        }
    }
}
