package dev.imcluster.broker.config;

/**
 * A token bucket per key (a caller, a connection or a source address, as the setting says): {@code rate} per
 * second, bursts of up to {@code burst}; rate 0 turns it off.
 */
public final class RateLimitConfig {
    /** Sustained rate per second per key; 0 means no limit. */
    public double rate = 0;
    /** How many a key may have at once after being idle (the bucket's size). */
    public int burst = 100;
    /**
     * Keys tracked at most; the least recently seen are forgotten beyond this (bounded memory), and idle ones whose
     * bucket has refilled as new keys arrive.
     */
    public int maxKeys = 100_000;

    /** A limit of {@code rate} per second with bursts of {@code burst}. */
    public static RateLimitConfig of(double rate, int burst) {
        RateLimitConfig c = new RateLimitConfig();
        c.rate = rate;
        c.burst = burst;
        return c;
    }

    public boolean enabled() {
        return rate > 0;
    }
}
