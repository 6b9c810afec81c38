package dev.imcluster.bench.core;

import picocli.CommandLine.Option;

/** The shape of a fan-out run, shared by every scenario (a picocli mixin). */
public final class Workload {
    @Option(names = {"-p", "--publishers"}, description = "Publisher threads (default ${DEFAULT-VALUE}).")
    public int publishers = 4;

    @Option(names = {"-s", "--subscribers"}, description = "Subscribers (default ${DEFAULT-VALUE}).")
    public int subscribers = 1000;

    @Option(names = {"-r", "--rooms"}, description = "Rooms (topics, subjects, channels); subscribers are spread "
            + "evenly over them (default ${DEFAULT-VALUE}).")
    public int rooms = 1;

    @Option(names = {"-m", "--size"}, description = "Message size in bytes, at least 9 (default ${DEFAULT-VALUE}).")
    public int size = 100;

    @Option(names = {"-d", "--duration"}, description = "Measured seconds (default ${DEFAULT-VALUE}).")
    public double duration = 10;

    @Option(names = {"-w", "--warmup"}, description = "Warmup seconds, not measured (default ${DEFAULT-VALUE}).")
    public double warmup = 3;

    @Option(names = "--rate", description = "Total publish rate in messages/s; 0 = as fast as the flow-control "
            + "window allows (default ${DEFAULT-VALUE}).")
    public double rate = 0;

    @Option(names = "--window", description = "Flow control: at most this many messages published but not yet "
            + "delivered to every subscriber, and at most this many publish calls unanswered (default ${DEFAULT-VALUE}).")
    public int window = 200;

    @Option(names = "--http-connections", description = "Keep-alive HTTP/1.1 connections of an HTTP push publisher, "
            + "one request in flight on each (logic may answer pipelined requests out of order); every other "
            + "publisher has one multiplexed or pipelined connection per publisher thread (default ${DEFAULT-VALUE}).")
    public int httpConnections = 256;

    public Workload copy() {
        Workload w = new Workload();
        w.publishers = publishers;
        w.subscribers = subscribers;
        w.rooms = rooms;
        w.size = size;
        w.duration = duration;
        w.warmup = warmup;
        w.rate = rate;
        w.window = window;
        w.httpConnections = httpConnections;
        return w;
    }

    public Workload withRate(double newRate) {
        Workload w = copy();
        w.rate = newRate;
        return w;
    }

    /** Checks the values, with a message naming the bad option. */
    public void validate() {
        require(publishers >= 1, "--publishers must be at least 1");
        require(subscribers >= 1, "--subscribers must be at least 1");
        require(rooms >= 1 && rooms <= subscribers, "--rooms must be between 1 and --subscribers");
        require(size >= Payloads.HEADER, "--size must be at least " + Payloads.HEADER + " (the send time and a flag)");
        require(duration > 0, "--duration must be positive");
        require(warmup >= 0, "--warmup must not be negative");
        require(rate >= 0, "--rate must not be negative");
        require(window >= 1, "--window must be at least 1");
        require(httpConnections >= 1, "--http-connections must be at least 1");
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }

    /** Members of each room when subscriber i joins room i % rooms. */
    public int[] membersPerRoom() {
        int[] members = new int[rooms];
        for (int i = 0; i < subscribers; i++) {
            members[i % rooms]++;
        }
        return members;
    }
}
