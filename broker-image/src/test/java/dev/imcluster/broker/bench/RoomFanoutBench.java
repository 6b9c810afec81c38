package dev.imcluster.broker.bench;

import dev.imcluster.broker.comet.FanoutFixture;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Room fan-out over real loopback TCP: one BroadcastRoom (as job calls it) to a room of N goim clients, timed
 * until every client has the frame. Deliveries per second = score (ops/s) x members.
 */
@State(Scope.Benchmark)
@BenchmarkMode({Mode.Throughput, Mode.SampleTime})
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 3)
@Fork(1)
public class RoomFanoutBench {
    @Param({"100", "1000"})
    int members;

    @Param({"64"})
    int bodySize;

    private FanoutFixture fixture;

    @Setup
    public void setup() throws Exception {
        fixture = new FanoutFixture(members, bodySize);
    }

    @TearDown
    public void tearDown() throws Exception {
        fixture.close();
    }

    @Benchmark
    public void roomPushToAllMembers() {
        fixture.pushAndAwaitAll();
    }
}
