package dev.imcluster.bench.pub;

import io.nats.client.Connection;
import io.nats.client.JetStream;
import io.nats.client.Nats;
import io.nats.client.Options;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Publishes to nats-server with jnats on several connections, used in turn: core NATS (fire and forget; the run
 * paces it), or JetStream (publishAsync, answered by the stream's ack).
 */
public final class NatsPublisher implements Publisher {
    private final Connection[] connections;
    private final JetStream[] jetStreams;
    private final AtomicInteger next = new AtomicInteger();
    private final String[] subjects;

    public NatsPublisher(String url, boolean jetStream, int connections, String[] subjects) throws IOException,
            InterruptedException {
        this.connections = new Connection[connections];
        this.jetStreams = jetStream ? new JetStream[connections] : null;
        for (int i = 0; i < connections; i++) {
            this.connections[i] = Nats.connect(new Options.Builder().server(url)
                    .connectionTimeout(Duration.ofSeconds(10)).maxReconnects(0).build());
            if (jetStream) {
                this.jetStreams[i] = this.connections[i].jetStream();
            }
        }
        this.subjects = subjects.clone();
    }

    @Override
    public void publish(int target, byte[] payload, Callback callback) {
        int i = Math.floorMod(next.getAndIncrement(), connections.length);
        if (jetStreams == null) {
            connections[i].publish(subjects[target], payload);
            callback.done(null);
        } else {
            jetStreams[i].publishAsync(subjects[target], payload).whenComplete((ack, error) -> callback.done(error));
        }
    }

    @Override
    public String describe() {
        return (jetStreams == null ? "jnats publish, " : "jnats JetStream publishAsync, ") + connections.length
                + " connections";
    }

    @Override
    public void close() {
        for (Connection connection : connections) {
            try {
                connection.flush(Duration.ofSeconds(5));
            } catch (java.util.concurrent.TimeoutException e) {
                System.err.println("nats: flush before close timed out");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            try {
                connection.close();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
