package dev.imcluster.bench.operator;

import dev.imcluster.bench.cluster.BrokerMemory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The operator as a local process (e2e/operator-process.sh): its pid from the pid file, its HTTP port from the
 * line it logs at start, its CPU time and resident set from /proc, its /metrics.
 */
public final class OperatorProcess {
    private static final Pattern PORT = Pattern.compile("starting imcluster operator: .* http=(\\d+)");
    /** USER_HZ: /proc/PID/stat counts CPU time in these ticks (100 on Linux everywhere in practice). */
    private static final double TICKS_PER_SECOND = 100.0;

    private final Path pidFile;
    private final Path log;

    public OperatorProcess(Path pidFile, Path log) {
        this.pidFile = pidFile;
        this.log = log;
    }

    public long pid() throws IOException {
        return Long.parseLong(Files.readString(pidFile).trim());
    }

    /** The HTTP port the running operator logged, or -1 while it has not logged it yet. */
    public int port() {
        try {
            if (!Files.exists(log)) {
                return -1;
            }
            Matcher m = PORT.matcher(Files.readString(log));
            return m.find() ? Integer.parseInt(m.group(1)) : -1;
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** User plus system CPU seconds the process has used so far. */
    public double cpuSeconds() throws IOException {
        String stat = Files.readString(Path.of("/proc", String.valueOf(pid()), "stat"));
        // The command name (field 2) may hold spaces: fields after its closing parenthesis, utime is the 12th.
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / TICKS_PER_SECOND;
    }

    public long rss() throws IOException {
        return BrokerMemory.rss(pid());
    }

    public String metrics() throws IOException, InterruptedException {
        int port = port();
        if (port < 0) {
            throw new IOException("the operator has not logged its HTTP port in " + log);
        }
        return BrokerMemory.scrape("127.0.0.1", port);
    }

    /** The heap in use after a full GC (jcmd GC.run), from the operator's /metrics. */
    public long liveHeap() throws IOException, InterruptedException {
        return BrokerMemory.sample("127.0.0.1", port(), pid(), true).heapUsed();
    }
}
