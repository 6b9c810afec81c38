package dev.imcluster.broker.comet;

import com.google.protobuf.ByteString;
import dev.imcluster.broker.api.internal.BroadcastRoomReq;
import dev.imcluster.broker.api.internal.CometGrpc;
import dev.imcluster.broker.api.internal.RoomMessage;
import dev.imcluster.broker.api.pubsub.PubSubServiceGrpc;
import dev.imcluster.broker.api.pubsub.SubscribeRequest;
import dev.imcluster.broker.api.pubsub.SubscribeResponse;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Topic fan-out cost over real loopback HTTP/2 ({@link CometHarness}): {@code members} gRPC Subscribe streams over
 * {@code connections} connections, room batches of {@code batch} messages pushed through job's BroadcastRoom,
 * {@code rate} batches a second (0: as fast as delivered), at most 4 batches not yet delivered to every stream. Prints deliveries per second and comet's CPU per delivery:
 * the CPU time of its threads (event loops and gRPC's executor), read per thread, so the bench clients' threads
 * and other processes on the machine are left out. Not a test; run by hand:
 *
 * <pre>java -cp target/test-classes:target/classes:$CP dev.imcluster.broker.comet.TopicFanoutMain 1000 4 20 10 5</pre>
 */
public final class TopicFanoutMain {
    private static final String TOPIC = "live://topic-fanout";
    private static final int IN_FLIGHT = 4;

    public static void main(String[] args) throws Exception {
        int members = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
        int connections = args.length > 1 ? Integer.parseInt(args[1]) : 4;
        int batch = args.length > 2 ? Integer.parseInt(args[2]) : 20;
        int seconds = args.length > 3 ? Integer.parseInt(args[3]) : 10;
        double rate = args.length > 4 ? Double.parseDouble(args[4]) : 0;
        EventLoopGroup clients = new MultiThreadIoEventLoopGroup(2, new DefaultThreadFactory("bench-client", true),
                NioIoHandler.newFactory());
        AtomicLong delivered = new AtomicLong();
        List<ManagedChannel> channels = new ArrayList<>();
        try (CometHarness h = new CometHarness(c -> c.comet.protocol.sendQueueSize = 4096)) {
            for (int c = 0; c < connections; c++) {
                channels.add(NettyChannelBuilder.forAddress("127.0.0.1", h.comet.pubsubGrpcPort()).usePlaintext()
                        .eventLoopGroup(clients).channelType(NioSocketChannel.class).directExecutor().build());
            }
            for (int i = 0; i < members; i++) {
                PubSubServiceGrpc.newStub(channels.get(i % connections)).subscribe(
                        SubscribeRequest.newBuilder().setTopic(TOPIC).build(), new StreamObserver<>() {
                            @Override
                            public void onNext(SubscribeResponse value) {
                                delivered.incrementAndGet();
                            }

                            @Override
                            public void onError(Throwable t) {
                                System.err.println("stream ended: " + t);
                            }

                            @Override
                            public void onCompleted() {
                            }
                        });
            }
            while (h.gauge("imcluster.comet.topic.subscribers") < members) {
                Thread.sleep(10);
            }
            ManagedChannel internal = NettyChannelBuilder.forAddress("127.0.0.1", h.comet.grpcPort()).usePlaintext()
                    .eventLoopGroup(clients).channelType(NioSocketChannel.class).directExecutor().build();
            channels.add(internal);
            CometGrpc.CometBlockingStub job = CometGrpc.newBlockingStub(internal);
            ByteString body = ByteString.copyFrom(new byte[100]);
            long[] pushed = {0};
            Runnable push = () -> {
                BroadcastRoomReq.Builder req = BroadcastRoomReq.newBuilder().setRoomId(TOPIC);
                for (int m = 0; m < batch; m++) {
                    req.addMessages(RoomMessage.newBuilder().setMsgId(Long.toString(++pushed[0])).setOperation(1000)
                            .setBody(body).setOffset(pushed[0]).setEpoch("e")
                            .setPublishedAtMicros(System.currentTimeMillis() * 1000));
                }
                job.broadcastRoom(req.build());
            };
            long perBatch = (long) batch * members;
            run(push, delivered, perBatch, TimeUnit.SECONDS.toNanos(Math.max(5, seconds)), rate);
            ThreadMXBean threads = ManagementFactory.getThreadMXBean();
            long cpu0 = cometCpu(threads);
            long d0 = delivered.get();
            long t0 = System.nanoTime();
            run(push, delivered, perBatch, TimeUnit.SECONDS.toNanos(seconds), rate);
            double elapsed = (System.nanoTime() - t0) / 1e9;
            double cpu = (cometCpu(threads) - cpu0) / 1e9;
            long n = delivered.get() - d0;
            System.out.printf("%d streams over %d connections, batches of %d: %.0f deliveries/s, comet CPU %.2f"
                            + " cores, %.0f deliveries per comet CPU-s (%.2f us each), overflow drops %.0f%n",
                    members, connections, batch, n / elapsed, cpu / elapsed, n / cpu, cpu * 1e6 / n,
                    h.counter("imcluster.comet.drops", "reason", "subscriber_overflow"));
        } finally {
            channels.forEach(ManagedChannel::shutdownNow);
            clients.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
    }

    /**
     * Pushes batches for {@code nanos}, {@code rate} a second (0: no pacing), keeping at most {@link #IN_FLIGHT} not
     * yet delivered to every stream.
     */
    private static void run(Runnable push, AtomicLong delivered, long perBatch, long nanos, double rate)
            throws InterruptedException {
        long start = delivered.get();
        long batches = 0;
        long begin = System.nanoTime();
        long end = begin + nanos;
        while (System.nanoTime() < end) {
            if (rate > 0) {
                long due = begin + (long) (batches * 1e9 / rate);
                while (System.nanoTime() < due) {
                    LockSupport.parkNanos(Math.min(due - System.nanoTime(), 1_000_000));
                }
            }
            while (delivered.get() - start < (batches - IN_FLIGHT) * perBatch) {
                LockSupport.parkNanos(20_000);
            }
            push.run();
            batches++;
        }
        while (delivered.get() - start < batches * perBatch) {
            Thread.sleep(1);
        }
    }

    /** CPU time of comet's threads: its event loops and gRPC's default executor (the bench uses neither). */
    private static long cometCpu(ThreadMXBean threads) {
        long sum = 0;
        for (var info : threads.getThreadInfo(threads.getAllThreadIds())) {
            if (info != null && (info.getThreadName().startsWith("comet-")
                    || info.getThreadName().startsWith("grpc-default-executor"))) {
                long t = threads.getThreadCpuTime(info.getThreadId());
                if (t > 0) {
                    sum += t;
                }
            }
        }
        return sum;
    }
}
