package dev.imcluster.broker.comet;

import dev.imcluster.broker.api.internal.BroadcastRoomReply;
import dev.imcluster.broker.api.internal.CometGrpc;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * Room fan-out throughput over real loopback TCP ({@link FanoutFixture}): a publisher pushes single-message room
 * batches through job's BroadcastRoom with up to 32 calls in flight. Prints deliveries per second. Not a test;
 * run by hand:
 *
 * <pre>java -cp target/test-classes:target/classes:$CP dev.imcluster.broker.comet.RoomFanoutMain 1000 64 10</pre>
 */
public final class RoomFanoutMain {
    private static final int IN_FLIGHT = 32;

    public static void main(String[] args) throws Exception {
        int members = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
        int size = args.length > 1 ? Integer.parseInt(args[1]) : 64;
        int seconds = args.length > 2 ? Integer.parseInt(args[2]) : 10;
        try (FanoutFixture f = new FanoutFixture(members, size)) {
            CometHarness h = f.harness();
            CometGrpc.CometStub job = CometGrpc.newStub(h.internal);
            Semaphore inFlight = new Semaphore(IN_FLIGHT);
            long pushes = 0;
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
            long start = System.nanoTime();
            long startBytes = f.bytesReceived();
            while (System.nanoTime() < end) {
                inFlight.acquire();
                pushes++;
                job.broadcastRoom(f.nextBatch(), new StreamObserver<BroadcastRoomReply>() {
                    @Override
                    public void onNext(BroadcastRoomReply value) {
                    }

                    @Override
                    public void onError(Throwable t) {
                        inFlight.release();
                    }

                    @Override
                    public void onCompleted() {
                        inFlight.release();
                    }
                });
            }
            inFlight.acquire(IN_FLIGHT);
            double elapsed = (System.nanoTime() - start) / 1e9;
            long delivered = (f.bytesReceived() - startBytes) / f.deliveryBytes();
            System.out.printf("%d members, %d-byte messages: %d room pushes, %.0f deliveries/s (%.0f pushes/s),"
                            + " slow-consumer disconnects %.0f%n", members, size, pushes, delivered / elapsed,
                    pushes / elapsed, h.counter("imcluster.comet.disconnects", "reason", "slow_consumer"));
            System.out.println("publish-to-comet latency: "
                    + h.meters.find("imcluster.comet.delivery.latency").timer().takeSnapshot());
        }
    }
}
