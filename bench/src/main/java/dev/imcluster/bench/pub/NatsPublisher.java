package dev.imcluster.bench.pub;

import io.nats.client.Connection;
import io.nats.client.JetStream;
import io.nats.client.Nats;
import io.nats.client.Options;
import java.io.IOException;
import java.time.Duration;

/**
 * Publishes to nats-server with jnats: core NATS (fire and forget; the run's flow control paces it), or
 * JetStream (publishAsync, answered by the stream's ack).
 */
public final class NatsPublisher implements Publisher {
    private final Connection connection;
    private final JetStream jetStream;
    private final String[] subjects;

    public NatsPublisher(String url, boolean jetStream, String[] subjects) throws IOException, InterruptedException {
        this.connection = Nats.connect(new Options.Builder().server(url).connectionTimeout(Duration.ofSeconds(10))
                .maxReconnects(0).build());
        this.jetStream = jetStream ? connection.jetStream() : null;
        this.subjects = subjects.clone();
    }

    @Override
    public void publish(int target, byte[] payload, Callback callback) {
        if (jetStream == null) {
            connection.publish(subjects[target], payload);
            callback.done(null);
        } else {
            jetStream.publishAsync(subjects[target], payload).whenComplete((ack, error) -> callback.done(error));
        }
    }

    @Override
    public String describe() {
        return jetStream == null ? "jnats publish" : "jnats JetStream publishAsync";
    }

    @Override
    public void close() {
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
