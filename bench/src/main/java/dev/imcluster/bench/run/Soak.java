package dev.imcluster.bench.run;

import dev.imcluster.bench.cluster.BrokerEndpoints;
import dev.imcluster.bench.cluster.BrokerMemory;
import dev.imcluster.bench.core.Deliveries;
import dev.imcluster.bench.net.BenchClient;
import dev.imcluster.bench.net.ClientLoop;
import dev.imcluster.bench.net.Connector;
import dev.imcluster.bench.net.GoimClientHandler;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Connection soak: idle goim connections with heartbeats, added in steps (e.g. 10k then 50k) over several
 * loopback source addresses; at each step, after holding a while, comet's memory is sampled (after a full GC)
 * and compared with the sample taken before the first connection.
 */
public final class Soak {
    /** One step's figures; per-connection values are the growth since the baseline, divided by connections. */
    public record Step(int connections, double connectSeconds, BrokerMemory baseline, BrokerMemory memory,
                       long cometConnections, long heartbeatsSent, long heartbeatReplies, long disconnected) {
        public double heapPerConnection() {
            return (memory.heapUsed() - baseline.heapUsed()) / (double) connections;
        }

        public double directPerConnection() {
            return (memory.directUsed() - baseline.directUsed()) / (double) connections;
        }

        public double insidePerConnection() {
            return heapPerConnection() + directPerConnection()
                    + (memory.nonHeapUsed() - baseline.nonHeapUsed()) / (double) connections;
        }

        public double rssPerConnection() {
            return memory.rss() < 0 ? -1 : (memory.rss() - baseline.rss()) / (double) connections;
        }
    }

    private final ClientLoop loop;
    private final PrintStream progress;

    public Soak(ClientLoop loop, PrintStream progress) {
        this.loop = loop;
        this.progress = progress;
    }

    /**
     * @param steps ascending connection counts
     * @param heartbeat the clients' heartbeat interval
     * @param hold how long each step is held, heartbeating, before its sample
     */
    public List<Step> run(BrokerEndpoints b, int[] steps, Duration heartbeat, Duration hold) throws Exception {
        BrokerMemory baseline = BrokerMemory.sample(b.host(), b.cometAdmin(), b.pid(), true);
        GoimClientHandler.Stats stats = new GoimClientHandler.Stats();
        Deliveries none = new Deliveries();
        List<GoimClientHandler> clients = new ArrayList<>();
        List<Step> results = new ArrayList<>();
        InetSocketAddress comet = new InetSocketAddress(b.host(), b.cometTcp());
        String run = Long.toString(ProcessHandle.current().pid(), 36) + "s" + System.nanoTime() % 100000;
        try {
            for (int target : steps) {
                int add = target - clients.size();
                if (add <= 0) {
                    continue;
                }
                long t0 = System.nanoTime();
                clients.addAll(Connector.connect(loop, comet, clients.size(), add,
                        i -> new GoimClientHandler(i + 1, null, "live://" + run + "-" + (i % 100),
                                Scenarios.OPERATION, heartbeat.toMillis(), none, stats),
                        256, Duration.ofMinutes(5)));
                double connectSeconds = (System.nanoTime() - t0) / 1e9;
                progress.printf(Locale.ROOT, "[soak] %d connections open (%d added in %.1f s); holding %d s%n",
                        clients.size(), add, connectSeconds, hold.toSeconds());
                Thread.sleep(hold.toMillis());
                BrokerMemory m = BrokerMemory.sample(b.host(), b.cometAdmin(), b.pid(), true);
                long onComet = BrokerMemory.sum(BrokerMemory.scrape(b.host(), b.cometAdmin()),
                        "imcluster_comet_connections", "");
                Step step = new Step(clients.size(), connectSeconds, baseline, m, onComet,
                        stats.heartbeatsSent.sum(), stats.heartbeatReplies.sum(), stats.closedUnexpectedly.sum());
                results.add(step);
                progress.printf(Locale.ROOT, "[soak] %d connections: heap %.0f B/conn, heap+nonheap+direct %.0f "
                                + "B/conn, RSS %.0f B/conn, comet counts %d%n", step.connections(),
                        step.heapPerConnection(), step.insidePerConnection(), step.rssPerConnection(), onComet);
            }
            return results;
        } finally {
            clients.forEach(BenchClient::close);
        }
    }

    public static String markdown(List<Step> steps) {
        StringBuilder sb = new StringBuilder();
        sb.append("| Connections | Connect time (s) | Connections on comet | Heap B/conn | Direct (NIO) B/conn "
                + "| Heap+non-heap+direct B/conn | RSS B/conn | Heartbeats sent / replies | Disconnected |\n");
        sb.append("|---:|---:|---:|---:|---:|---:|---:|---|---:|\n");
        for (Step s : steps) {
            sb.append(String.format(Locale.ROOT, "| %d | %.1f | %d | %.0f | %.0f | %.0f | %s | %d / %d | %d |\n",
                    s.connections(), s.connectSeconds(), s.cometConnections(), s.heapPerConnection(),
                    s.directPerConnection(), s.insidePerConnection(),
                    s.rssPerConnection() < 0 ? "n/a" : String.format(Locale.ROOT, "%.0f", s.rssPerConnection()),
                    s.heartbeatsSent(), s.heartbeatReplies(), s.disconnected()));
        }
        return sb.toString();
    }
}
