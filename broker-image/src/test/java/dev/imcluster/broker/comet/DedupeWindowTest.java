package dev.imcluster.broker.comet;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.Test;

class DedupeWindowTest {
    private final AtomicLong now = new AtomicLong();

    @Test
    void aRepeatWithinTheWindowIsDetected() {
        DedupeWindow w = new DedupeWindow(100, 1_000, now::get);
        assertThat(w.firstSeen("a")).isTrue();
        assertThat(w.firstSeen("b")).isTrue();
        assertThat(w.firstSeen("a")).isFalse();
    }

    @Test
    void idsExpireAfterTheWindow() {
        DedupeWindow w = new DedupeWindow(100, 1_000, now::get);
        w.firstSeen("a");
        now.addAndGet(1_000);
        assertThat(w.firstSeen("a")).as("still within the window").isFalse();
        now.addAndGet(1);
        assertThat(w.firstSeen("a")).isTrue();
        assertThat(w.tracked()).isEqualTo(1);
        assertThat(w.evictedEarly()).isZero();
    }

    @Test
    void aLongWindowIsKeptForAtLeastItsLength() {
        long window = java.util.concurrent.TimeUnit.MINUTES.toNanos(5);
        now.set(123_456_789L);
        DedupeWindow w = new DedupeWindow(100, window, now::get);
        w.firstSeen("a");
        now.addAndGet(window);
        assertThat(w.firstSeen("a")).isFalse();
        now.addAndGet(window / 1000); // time is kept in units of window/2^20 at most, so this is past the window
        w.firstSeen("b");
        assertThat(w.tracked()).as("a expired, b held").isEqualTo(1);
        assertThat(w.firstSeen("a")).isTrue();
    }

    @Test
    void aPauseLongerThanTheWindowForgetsEverything() {
        DedupeWindow w = new DedupeWindow(1 << 16, 1_000, now::get);
        for (int i = 0; i < 5_000; i++) {
            w.firstSeen("id-" + i);
        }
        now.addAndGet(1L << 40); // far beyond what 32-bit time units could tell apart
        assertThat(w.firstSeen("id-0")).isTrue();
        assertThat(w.tracked()).isEqualTo(1);
        assertThat(w.evictedEarly()).isZero();
    }

    @Test
    void theOldestIdIsForgottenEarlyWhenFullAndCounted() {
        LongAdder reported = new LongAdder();
        DedupeWindow w = new DedupeWindow(3, 1_000_000, now::get, reported::add);
        for (String id : new String[] {"a", "b", "c", "d"}) {
            assertThat(w.firstSeen(id)).isTrue();
        }
        assertThat(w.tracked()).isEqualTo(3);
        assertThat(w.evictedEarly()).isEqualTo(1);
        assertThat(reported.sum()).isEqualTo(1);
        assertThat(w.firstSeen("d")).isFalse();
        assertThat(w.firstSeen("a")).isTrue(); // forgotten early; now b goes
        assertThat(w.evictedEarly()).isEqualTo(2);
        assertThat(reported.sum()).isEqualTo(2);
        assertThat(w.firstSeen("b")).isTrue();
    }

    @Test
    void idsThatExpiredByTimeAreNotCountedAsEarly() {
        LongAdder reported = new LongAdder();
        DedupeWindow w = new DedupeWindow(3, 1_000, now::get, reported::add);
        for (int i = 0; i < 30; i++) {
            assertThat(w.firstSeen("id-" + i)).isTrue();
            now.addAndGet(400); // at most 3 ids within any window
        }
        assertThat(w.evictedEarly()).isZero();
        assertThat(reported.sum()).isZero();
    }

    @Test
    void storageGrowsByDoublingBeyondItsInitialCapacity() {
        DedupeWindow w = new DedupeWindow(1 << 22, 1_000_000, now::get);
        assertThat(w.capacity()).isEqualTo(DedupeWindow.INITIAL_CAPACITY);
        int n = DedupeWindow.INITIAL_CAPACITY * 5 + 7;
        for (int i = 0; i < n; i++) {
            assertThat(w.firstSeen("id-" + i)).isTrue();
        }
        assertThat(w.capacity()).isEqualTo(DedupeWindow.INITIAL_CAPACITY * 8);
        for (int i = 0; i < n; i++) {
            assertThat(w.firstSeen("id-" + i)).as("id-%d", i).isFalse();
        }
        assertThat(w.tracked()).isEqualTo(n);
        assertThat(w.evictedEarly()).isZero();
    }

    @Test
    void growthStopsAtMaxIdsEvenWhenItIsNoPowerOfTwo() {
        int max = DedupeWindow.INITIAL_CAPACITY * 3 - 5;
        DedupeWindow w = new DedupeWindow(max, 1_000_000, now::get);
        for (int i = 0; i < max + 10; i++) {
            w.firstSeen("id-" + i);
        }
        assertThat(w.capacity()).isEqualTo(max);
        assertThat(w.tracked()).isEqualTo(max);
        assertThat(w.evictedEarly()).isEqualTo(10);
        assertThat(w.firstSeen("id-10")).as("the oldest still held").isFalse();
        assertThat(w.firstSeen("id-9")).as("forgotten early").isTrue();
    }

    /** Random ids, repeats and time steps against a model: expiry and early eviction delete from the table. */
    @Test
    void behavesLikeAReferenceModel() {
        SplittableRandom random = new SplittableRandom(42);
        long window = 10_000;
        int max = 3_000;
        DedupeWindow w = new DedupeWindow(max, window, now::get);
        Map<String, Long> seenAt = new HashMap<>();
        ArrayDeque<String> order = new ArrayDeque<>();
        long early = 0;
        for (int step = 0; step < 400_000; step++) {
            // Slow phases (about 1,800 ids per window) only expire; fast ones (about 6,600) also hit max.
            now.addAndGet(random.nextInt((step / 20_000) % 2 == 0 ? 12 : 4));
            long t = now.get();
            while (!order.isEmpty() && t - seenAt.get(order.peekFirst()) > window) {
                seenAt.remove(order.pollFirst());
            }
            String id = "m" + random.nextInt(20_000);
            boolean expected = !seenAt.containsKey(id);
            if (expected) {
                if (order.size() == max) {
                    seenAt.remove(order.pollFirst());
                    early++;
                }
                seenAt.put(id, t);
                order.addLast(id);
            }
            assertThat(w.firstSeen(id)).as("step %d id %s", step, id).isEqualTo(expected);
            if (step % 997 == 0) {
                assertThat(w.tracked()).isEqualTo(order.size());
            }
        }
        assertThat(w.evictedEarly()).isEqualTo(early).isPositive();
        assertThat(w.tracked()).isEqualTo(order.size());
    }

    /** A guarantee of the default size, not a performance figure. */
    @Test
    void aMillionDistinctIdsWithinTheWindowAreAllRemembered() {
        DedupeWindow w = new DedupeWindow(1 << 22, java.util.concurrent.TimeUnit.MINUTES.toNanos(5), now::get);
        int n = 1_000_000;
        for (int i = 0; i < n; i++) {
            assertThat(w.firstSeen(java.util.UUID.nameUUIDFromBytes(new byte[] {(byte) i, (byte) (i >> 8),
                    (byte) (i >> 16)}).toString())).isTrue();
            now.addAndGet(100); // 0.1 s in all, well within 5 minutes
        }
        for (int i = 0; i < n; i++) {
            if (w.firstSeen(java.util.UUID.nameUUIDFromBytes(new byte[] {(byte) i, (byte) (i >> 8),
                    (byte) (i >> 16)}).toString())) {
                throw new AssertionError("id " + i + " forgotten");
            }
        }
        assertThat(w.tracked()).isEqualTo(n);
        assertThat(w.evictedEarly()).isZero();
    }

    @Test
    void emptyIdsAndAZeroSizeNeverDedupe() {
        DedupeWindow w = new DedupeWindow(10, 1_000, now::get);
        assertThat(w.firstSeen("")).isTrue();
        assertThat(w.firstSeen("")).isTrue();
        assertThat(w.firstSeen(null)).isTrue();
        assertThat(w.firstSeen(null)).isTrue();
        assertThat(w.tracked()).isZero();
        DedupeWindow off = new DedupeWindow(0, 1_000, now::get);
        assertThat(off.firstSeen("a")).isTrue();
        assertThat(off.firstSeen("a")).isTrue();
        assertThat(off.tracked()).isZero();
    }

    @Test
    void theHashSpreadsSimilarIds() {
        java.util.Set<Long> hashes = new java.util.HashSet<>();
        for (int i = 0; i < 200_000; i++) {
            hashes.add(DedupeWindow.hash64("msg-" + i));
        }
        hashes.add(DedupeWindow.hash64("a"));
        hashes.add(DedupeWindow.hash64("ab"));
        hashes.add(DedupeWindow.hash64("abc"));
        hashes.add(DedupeWindow.hash64("abcd"));
        hashes.add(DedupeWindow.hash64("abcde"));
        assertThat(hashes).hasSize(200_005);
    }
}
