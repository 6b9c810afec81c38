package dev.imcluster.broker.comet;

import java.util.Arrays;
import java.util.function.LongConsumer;
import java.util.function.LongSupplier;

/**
 * About 300 lines: the arrival ring and the hash table are one structure under one lock.
 *
 * <p>Remembers recent message ids so that redeliveries (the queue is at-least-once) are dropped. An id is remembered
 * for the whole {@code windowNanos}, whatever the message rate, as long as at most {@code maxIds} ids arrive within
 * one window; past that the oldest id is forgotten early, counted in {@link #evictedEarly()} and reported to the
 * listener (comet counts it in {@code imcluster_comet_dedupe_evicted_total} and warns to raise
 * {@code delivery.dedupe.maxIds}).
 *
 * <p>Only a 64-bit hash of each id and the time it was seen are kept, in primitive arrays: a ring in arrival order
 * (for expiry) and an open-addressing table of hashes with linear probing and backward-shift deletion (for
 * lookup). Both start small and double up to {@code maxIds}, so memory follows the ids actually held: at most
 * 12 bytes per ring slot (hash and time) plus 8 bytes per table slot (1.5 per ring slot), about 24 bytes per
 * id held when full, never preallocated for {@code maxIds}. Called once per pushed message or room batch (not per
 * recipient), so one lock is cheap enough; the id is hashed outside it.
 */
public final class DedupeWindow {
    /** Ring slots allocated at first (grown by doubling up to maxIds). */
    static final int INITIAL_CAPACITY = 1024;
    /** Marks a free table slot; a hash of 0 is stored as {@link #ZERO_HASH}. */
    private static final long EMPTY = 0L;
    private static final long ZERO_HASH = 0x9E3779B97F4A7C15L;
    /** Time is kept in units of 2^shift ns, chosen so that one window is at most about 2^20 units. */
    private static final int WINDOW_UNIT_BITS = 20;

    private final int maxIds;
    private final long windowNanos;
    private final LongSupplier clock;
    private final LongConsumer onEvictedEarly;
    private final int shift;
    /** The window in time units, rounded up: an id is never forgotten (by time) before windowNanos passed. */
    private final int windowUnits;
    private final long origin;

    private long[] ringHash;
    private int[] ringTime;
    private long[] table;
    private int head;
    private int count;
    private long lastNow;
    private long evictedEarly;

    /** Dedupe off when {@code maxIds} is 0. */
    public DedupeWindow(int maxIds, long windowNanos) {
        this(maxIds, windowNanos, n -> { });
    }

    /**
     * @param onEvictedEarly called (outside the lock) with the number of ids just forgotten before their window
     *     ended because {@code maxIds} ids were held
     */
    public DedupeWindow(int maxIds, long windowNanos, LongConsumer onEvictedEarly) {
        this(maxIds, windowNanos, System::nanoTime, onEvictedEarly);
    }

    DedupeWindow(int maxIds, long windowNanos, LongSupplier clock) {
        this(maxIds, windowNanos, clock, n -> { });
    }

    DedupeWindow(int maxIds, long windowNanos, LongSupplier clock, LongConsumer onEvictedEarly) {
        if (maxIds < 0) {
            throw new IllegalArgumentException("maxIds must be >= 0: " + maxIds);
        }
        this.maxIds = maxIds;
        this.windowNanos = Math.max(0, windowNanos);
        this.clock = clock;
        this.onEvictedEarly = onEvictedEarly;
        this.shift = Math.max(0, 64 - Long.numberOfLeadingZeros(this.windowNanos) - WINDOW_UNIT_BITS);
        long unitMask = (1L << shift) - 1;
        this.windowUnits = (int) ((this.windowNanos >> shift) + ((this.windowNanos & unitMask) != 0 ? 1 : 0));
        this.origin = clock.getAsLong();
        this.lastNow = origin;
        allocate(Math.min(maxIds, INITIAL_CAPACITY));
    }

    /**
     * True the first time an id is offered within the window; false for a repeat. An empty id (a sender that
     * sets none) is never a repeat.
     */
    public boolean firstSeen(String id) {
        if (maxIds == 0 || id == null || id.isEmpty()) {
            return true;
        }
        long h = hash64(id);
        if (h == EMPTY) {
            h = ZERO_HASH;
        }
        boolean evicted = false;
        synchronized (this) {
            long now = clock.getAsLong();
            expire(now);
            if (contains(h)) {
                return false;
            }
            if (count == ringHash.length) {
                if (ringHash.length < maxIds) {
                    allocate((int) Math.min(maxIds, 2L * ringHash.length));
                } else {
                    removeOldest();
                    evictedEarly++;
                    evicted = true;
                }
            }
            int slot = head + count;
            if (slot >= ringHash.length) {
                slot -= ringHash.length;
            }
            ringHash[slot] = h;
            ringTime[slot] = units(now);
            insert(h);
            count++;
        }
        if (evicted) {
            onEvictedEarly.accept(1);
        }
        return true;
    }

    /** Ids remembered now. */
    public synchronized int tracked() {
        return count;
    }

    /** Ids forgotten before their window ended because maxIds ids were held, since this window was created. */
    public synchronized long evictedEarly() {
        return evictedEarly;
    }

    /** Ring slots allocated now (grows by doubling up to maxIds); for tests. */
    synchronized int capacity() {
        return ringHash.length;
    }

    private int units(long now) {
        return (int) ((now - origin) >> shift);
    }

    /**
     * Forgets the ids whose window ended. Times are stored as 32-bit units and compared by wrapping subtraction,
     * which is exact while every held id is younger than about 2^31 units: ids are expired on every call, and
     * after a pause longer than the window every held id is expired at once (clear), so they always are.
     */
    private void expire(long now) {
        if (count > 0 && now - lastNow > windowNanos) {
            clear();
        }
        lastNow = now;
        int t = units(now);
        while (count > 0 && t - ringTime[head] > windowUnits) {
            removeOldest();
        }
    }

    private void clear() {
        head = 0;
        count = 0;
        if (ringHash.length > INITIAL_CAPACITY) {
            ringHash = null;
            allocate(INITIAL_CAPACITY);
        } else {
            Arrays.fill(table, EMPTY);
        }
    }

    /** New ring and table for {@code capacity} ids, keeping the ids held (in arrival order). */
    private void allocate(int capacity) {
        long[] newHash = new long[capacity];
        int[] newTime = new int[capacity];
        // Table at most 2/3 full; always at least one free slot, so probing ends.
        long[] newTable = new long[capacity + (capacity >> 1) + 1];
        long[] oldHash = ringHash;
        int[] oldTime = ringTime;
        ringHash = newHash;
        ringTime = newTime;
        table = newTable;
        for (int i = 0; i < count; i++) {
            int from = head + i;
            if (from >= oldHash.length) {
                from -= oldHash.length;
            }
            newHash[i] = oldHash[from];
            newTime[i] = oldTime[from];
            insert(newHash[i]);
        }
        head = 0;
    }

    private void removeOldest() {
        remove(ringHash[head]);
        if (++head == ringHash.length) {
            head = 0;
        }
        count--;
    }

    /** Home slot of a hash: its high 32 bits scaled to the table length (tables are not powers of two). */
    private static int home(long h, int length) {
        return (int) (((h >>> 32) * length) >>> 32);
    }

    private boolean contains(long h) {
        long[] t = table;
        int i = home(h, t.length);
        while (true) {
            long e = t[i];
            if (e == h) {
                return true;
            }
            if (e == EMPTY) {
                return false;
            }
            if (++i == t.length) {
                i = 0;
            }
        }
    }

    private void insert(long h) {
        long[] t = table;
        int i = home(h, t.length);
        while (t[i] != EMPTY) {
            if (++i == t.length) {
                i = 0;
            }
        }
        t[i] = h;
    }

    /** Removes a held hash; backward-shift deletion keeps every probe run unbroken without tombstones. */
    private void remove(long h) {
        long[] t = table;
        int n = t.length;
        int gap = home(h, n);
        while (t[gap] != h) {
            if (++gap == n) {
                gap = 0;
            }
        }
        int j = gap;
        while (true) {
            if (++j == n) {
                j = 0;
            }
            long e = t[j];
            if (e == EMPTY) {
                break;
            }
            int k = home(e, n);
            // e may move back into the gap unless its home lies cyclically in (gap, j].
            int fromHome = j >= k ? j - k : j - k + n;
            int fromGap = j >= gap ? j - gap : j - gap + n;
            if (fromHome >= fromGap) {
                t[gap] = e;
                gap = j;
            }
        }
        t[gap] = EMPTY;
    }

    private static final long P1 = 0x9E3779B185EBCA87L;
    private static final long P2 = 0xC2B2AE3D27D4EB4FL;
    private static final long P3 = 0x165667B19E3779F9L;
    private static final long P4 = 0x85EBCA77C2B2AE63L;

    /**
     * A 64-bit hash of the id's chars (xxHash64-style rounds over 4 chars at a time, murmur3's final mix).
     * False positives: with n ids held a new id is taken for a repeat with odds about n / 2^64, i.e. 2.3e-13 per
     * message at 4,194,304 ids held (one wrongly dropped message in about 4e12).
     */
    static long hash64(String s) {
        int n = s.length();
        long h = P3 ^ (n * P1);
        int i = 0;
        for (; i + 4 <= n; i += 4) {
            long k = s.charAt(i) | (long) s.charAt(i + 1) << 16 | (long) s.charAt(i + 2) << 32
                    | (long) s.charAt(i + 3) << 48;
            h = Long.rotateLeft(h ^ round(k), 27) * P1 + P4;
        }
        if (i < n) {
            long k = 0;
            for (int b = 0; i < n; i++, b += 16) {
                k |= (long) s.charAt(i) << b;
            }
            h = Long.rotateLeft(h ^ round(k), 23) * P2 + P3;
        }
        h ^= h >>> 33;
        h *= 0xFF51AFD7ED558CCDL;
        h ^= h >>> 33;
        h *= 0xC4CEB9FE1A85EC53L;
        h ^= h >>> 33;
        return h;
    }

    private static long round(long k) {
        return Long.rotateLeft(k * P2, 31) * P1;
    }
}
