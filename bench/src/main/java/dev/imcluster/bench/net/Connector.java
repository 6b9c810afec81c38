package dev.imcluster.bench.net;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelFuture;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntFunction;

/**
 * Opens many subscriber connections, a bounded number at a time, each from the next of several local source
 * addresses (127.0.0.2, 127.0.0.3, ...) so that more than one address's ephemeral ports are available.
 */
public final class Connector {
    /** Connections per source address; below the usual 28k ephemeral ports. */
    public static final int PER_SOURCE_ADDRESS = 20_000;

    private Connector() {
    }

    public interface ClientFactory<T extends ChannelHandler & BenchClient> extends IntFunction<T> {
    }

    /**
     * Connects {@code count} clients (client i gets {@code factory.apply(firstIndex + i)}) and waits until each is
     * ready.
     *
     * @throws IllegalStateException naming how many failed and the first cause
     */
    public static <T extends ChannelHandler & BenchClient> List<T> connect(
            ClientLoop loop, InetSocketAddress remote, int firstIndex, int count, ClientFactory<T> factory,
            int concurrency, Duration timeout) throws InterruptedException {
        List<T> clients = new ArrayList<>(count);
        Semaphore permits = new Semaphore(concurrency);
        AtomicInteger failed = new AtomicInteger();
        AtomicReference<Throwable> firstFailure = new AtomicReference<>();
        long deadline = System.nanoTime() + timeout.toNanos();
        boolean loopback = remote.getAddress() != null && remote.getAddress().isLoopbackAddress();
        for (int i = 0; i < count; i++) {
            int index = firstIndex + i;
            if (!permits.tryAcquire(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                throw new IllegalStateException("timed out opening connections: " + i + " of " + count
                        + " started, " + failed.get() + " failed");
            }
            T client = factory.apply(index);
            clients.add(client);
            ChannelFuture f = loopback
                    ? loop.bootstrap().handler(client).connect(remote, sourceAddress(index))
                    : loop.bootstrap().handler(client).connect(remote);
            f.addListener(done -> {
                if (!done.isSuccess()) {
                    client.ready().completeExceptionally(done.cause());
                }
            });
            client.ready().whenComplete((ok, error) -> {
                if (error != null) {
                    failed.incrementAndGet();
                    firstFailure.compareAndSet(null, error);
                }
                permits.release();
            });
        }
        if (!permits.tryAcquire(concurrency, Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
            throw new IllegalStateException("timed out waiting for " + count + " connections to become ready");
        }
        permits.release(concurrency);
        if (failed.get() > 0) {
            clients.forEach(BenchClient::close);
            Throwable cause = firstFailure.get();
            throw new IllegalStateException(failed.get() + " of " + count + " connections failed; the first: "
                    + cause, cause);
        }
        return clients;
    }

    /** 127.0.0.2 for the first {@link #PER_SOURCE_ADDRESS} connections, then 127.0.0.3, ... (port: any). */
    static InetSocketAddress sourceAddress(int index) {
        int n = 2 + index / PER_SOURCE_ADDRESS;
        try {
            return new InetSocketAddress(InetAddress.getByAddress(new byte[] {127, 0, (byte) (n >> 8), (byte) n}), 0);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }
}
