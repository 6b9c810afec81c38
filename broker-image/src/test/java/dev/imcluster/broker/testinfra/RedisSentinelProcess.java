package dev.imcluster.broker.testinfra;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.nio.file.Files;
import java.util.List;

/**
 * A Redis Sentinel (Debian's redis-server with {@code --sentinel}) on a free loopback port, watching one master
 * under a name. It notices a master down after {@value #DOWN_AFTER_MS} ms, so a test's failover takes seconds. Its
 * config file is its own (Sentinel rewrites it with what it learns: replicas, other sentinels, the new master).
 */
public final class RedisSentinelProcess extends ExternalServerProcess {
    public static final int DOWN_AFTER_MS = 1000;

    /**
     * Watches {@code master} as {@code masterName}; a failover needs {@code quorum} sentinels to agree. The data
     * nodes' password is the master's; {@code password} (or null) is the sentinels' own, which they also use
     * between themselves.
     */
    public RedisSentinelProcess(RedisServerProcess master, String masterName, int quorum, String masterPassword,
                                String password) {
        super("redis-sentinel");
        StringBuilder conf = new StringBuilder()
                .append("port ").append(port).append('\n')
                .append("bind ").append(bindAddress).append('\n')
                .append("protected-mode no\ndaemonize no\nlogfile \"\"\n")
                .append("dir ").append(dir).append('\n')
                .append("sentinel monitor ").append(masterName).append(' ').append(bindAddress).append(' ')
                .append(master.port()).append(' ').append(quorum).append('\n')
                .append("sentinel down-after-milliseconds ").append(masterName).append(' ').append(DOWN_AFTER_MS)
                .append('\n')
                .append("sentinel failover-timeout ").append(masterName).append(" 10000\n");
        if (masterPassword != null) {
            conf.append("sentinel auth-pass ").append(masterName).append(' ').append(masterPassword).append('\n');
        }
        if (password != null) {
            conf.append("requirepass ").append(password).append('\n')
                    .append("sentinel sentinel-pass ").append(password).append('\n');
        }
        try {
            Files.writeString(dir.resolve("sentinel.conf"), conf);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public RedisSentinelProcess startedNow() {
        return started(this);
    }

    /** host:port, as {@code redis.sentinel.addresses} lists it. */
    public String address() {
        return bindAddress + ":" + port;
    }

    @Override
    protected List<String> command() {
        return List.of("redis-server", dir.resolve("sentinel.conf").toString(), "--sentinel");
    }

    @Override
    protected String packageName() {
        return "redis-server";
    }

    @Override
    protected boolean ready(Socket socket) throws IOException {
        return RedisServerProcess.answersPing(socket);
    }
}
