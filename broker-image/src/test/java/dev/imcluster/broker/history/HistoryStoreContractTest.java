package dev.imcluster.broker.history;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import dev.imcluster.broker.api.internal.RoomMessage;
import dev.imcluster.broker.config.BrokerConfig;
import dev.imcluster.broker.mq.Position;
import dev.imcluster.broker.testinfra.RedisServerProcess;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * What every history store guarantees, run against the in-process store and the Redis one (a real redis-server):
 * order, limit, idempotent appends, size and ttl eviction with a truthful floor, epochs, lost appends, offsets
 * that need all 63 bits, unknown rooms, and the metrics. Each store gets a clock the test moves; Redis expires
 * its keys on its own clock, which only the whole-list expiry case waits for.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HistoryStoreContractTest {
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final HistoryPolicy ROOMY = new HistoryPolicy("*", 100, Duration.ofMinutes(1));

    enum Kind { MEMORY, REDIS }

    private RedisServerProcess redis;

    private HistoryStore store;
    private SimpleMeterRegistry meters;
    /** Added to the store's clock; the memory store's clock starts at a fixed instant. */
    private final AtomicLong skewMicros = new AtomicLong();
    private Kind kind;

    @BeforeAll
    void startRedis() {
        redis = RedisServerProcess.launch();
    }

    @AfterAll
    void stopRedis() {
        redis.close();
    }

    @AfterEach
    void closeStore() {
        if (store != null) {
            store.close();
            store = null;
        }
        redis.commands().flushall();
    }

    private HistoryStore open(Kind kind) {
        this.kind = kind;
        meters = new SimpleMeterRegistry();
        skewMicros.set(0);
        HistoryMetrics metrics = new HistoryMetrics(meters);
        if (kind == Kind.MEMORY) {
            long start = 1_765_000_000_000_000L;
            store = new MemoryHistoryStore(metrics, () -> start + skewMicros.get());
        } else {
            BrokerConfig config = new BrokerConfig();
            config.redis.address = redis.address();
            config.redis.commandTimeout = Duration.ofSeconds(3);
            store = new RedisHistoryStore(config, metrics, () -> System.currentTimeMillis() * 1000 + skewMicros.get());
        }
        return store;
    }

    private long now() {
        return kind == Kind.MEMORY ? 1_765_000_000_000_000L + skewMicros.get()
                : System.currentTimeMillis() * 1000 + skewMicros.get();
    }

    private void advance(Duration d) {
        skewMicros.addAndGet(d.toNanos() / 1000);
    }

    private static RoomMessage message(long offset, String epoch, long publishedAtMicros) {
        return RoomMessage.newBuilder().setMsgId("id-" + offset).setOperation(9)
                .setBody(ByteString.copyFromUtf8("body " + offset)).setPublishedAtMicros(publishedAtMicros)
                .setOffset(offset).setEpoch(epoch).putHeaders("k", "v" + offset).build();
    }

    private List<RoomMessage> messages(String epoch, long... offsets) {
        long at = now();
        return LongStream.of(offsets).mapToObj(o -> message(o, epoch, at)).toList();
    }

    private static long[] range(long fromInclusive, long toInclusive) {
        return LongStream.rangeClosed(fromInclusive, toInclusive).toArray();
    }

    private void append(String room, List<RoomMessage> batch, HistoryPolicy policy, long floorIfNew, long lostUpTo)
            throws Exception {
        get(store.append(room, batch, policy, floorIfNew, lostUpTo));
    }

    private HistoryPage read(String room, long since, int limit, HistoryPolicy policy) throws Exception {
        return get(store.read(room, since, limit, policy));
    }

    private static List<Long> offsets(HistoryPage page) {
        return page.messages().stream().map(RoomMessage::getOffset).toList();
    }

    private static <T> T get(CompletableFuture<T> f) throws Exception {
        return f.get(10, TimeUnit.SECONDS);
    }

    private double appended() {
        return meters.get("imcluster_history_appended").counter().count();
    }

    private double evicted(String reason) {
        return meters.get("imcluster_history_evicted").tag("reason", reason).counter().count();
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void readsWhatWasAppendedAfterAPositionInOrderWithinTheLimit(Kind kind) throws Exception {
        open(kind);
        List<RoomMessage> batch = messages("e1", range(10, 14));
        append("r", batch, ROOMY, 9, -1);

        HistoryPage all = read("r", -1, 0, ROOMY);
        assertThat(all.messages()).isEqualTo(batch); // every field round-trips
        assertThat(all.epoch()).isEqualTo("e1");
        assertThat(all.top()).isEqualTo(14);
        assertThat(all.floor()).isEqualTo(9);

        assertThat(offsets(read("r", 11, 0, ROOMY))).containsExactly(12L, 13L, 14L);
        assertThat(offsets(read("r", 11, 2, ROOMY))).containsExactly(12L, 13L);
        assertThat(offsets(read("r", 14, 0, ROOMY))).isEmpty();
        assertThat(all.incompleteAfter(9, "e1")).isNull();
        assertThat(all.incompleteAfter(14, "e1")).isNull();
        assertThat(appended()).isEqualTo(5);
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void aReadFindsItsPlaceInAFullHistoryThatHasWrappedAndEvicted(Kind kind) throws Exception {
        open(kind);
        HistoryPolicy hundred = new HistoryPolicy("*", 100, Duration.ofMinutes(5));
        for (long from = 1; from <= 1000; from += 37) { // uneven batches, so the kept window starts mid-batch
            append("busy", messages("e1", range(from, Math.min(1000, from + 36))), hundred, from - 1, -1);
        }
        HistoryPage page = read("busy", 950, 7, hundred);
        assertThat(offsets(page)).containsExactly(951L, 952L, 953L, 954L, 955L, 956L, 957L);
        assertThat(page.floor()).isEqualTo(900);
        assertThat(offsets(read("busy", 0, 3, hundred))).containsExactly(901L, 902L, 903L);
        assertThat(offsets(read("busy", 999, 0, hundred))).containsExactly(1000L);
        assertThat(offsets(read("busy", 1000, 0, hundred))).isEmpty();
        // A redelivery of a kept offset changes nothing; a late one that was never kept raises the floor.
        append("busy", messages("e1", 950), hundred, 999, -1);
        assertThat(read("busy", -1, 0, hundred).floor()).isEqualTo(900);
        assertThat(read("busy", -1, 0, hundred).messages()).hasSize(100);
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void redeliveredOffsetsAreNotAppendedTwice(Kind kind) throws Exception {
        open(kind);
        append("r", messages("e1", range(10, 14)), ROOMY, 9, -1);
        append("r", messages("e1", range(10, 14)), ROOMY, 9, -1);
        assertThat(offsets(read("r", -1, 0, ROOMY))).containsExactly(10L, 11L, 12L, 13L, 14L);
        assertThat(appended()).isEqualTo(5);

        append("r", messages("e1", range(12, 17)), ROOMY, 11, -1);
        HistoryPage page = read("r", -1, 0, ROOMY);
        assertThat(offsets(page)).containsExactly(10L, 11L, 12L, 13L, 14L, 15L, 16L, 17L);
        assertThat(page.top()).isEqualTo(17);
        assertThat(page.floor()).isEqualTo(9);
        assertThat(appended()).isEqualTo(8);
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void aLateMessageRaisesTheFloorInsteadOfBeingSkippedSilently(Kind kind) throws Exception {
        open(kind);
        append("r", messages("e1", 10, 12, 13), ROOMY, 9, -1);
        // 11 was held by a consumer that died and is claimed after 12 and 13 went out: it cannot go in order.
        append("r", messages("e1", 11), ROOMY, 13, -1);
        HistoryPage page = read("r", -1, 0, ROOMY);
        assertThat(offsets(page)).containsExactly(10L, 12L, 13L);
        assertThat(page.floor()).isEqualTo(11);
        assertThat(page.incompleteAfter(10, "e1")).isEqualTo("position older than history");
        assertThat(page.incompleteAfter(11, "e1")).isNull();
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void sizeEvictsTheOldestAndRaisesTheFloorToTheLastEvicted(Kind kind) throws Exception {
        open(kind);
        HistoryPolicy three = new HistoryPolicy("*", 3, Duration.ofMinutes(1));
        for (long offset = 1; offset <= 5; offset++) {
            append("one-by-one", messages("e1", offset), three, offset - 1, -1);
        }
        append("one-batch", messages("e1", range(1, 5)), three, 0, -1);

        for (String room : List.of("one-by-one", "one-batch")) {
            HistoryPage page = read(room, -1, 0, three);
            assertThat(offsets(page)).as(room).containsExactly(3L, 4L, 5L);
            assertThat(page.floor()).as(room).isEqualTo(2);
            assertThat(page.top()).as(room).isEqualTo(5);
            assertThat(page.incompleteAfter(2, "e1")).isNull();
            assertThat(page.incompleteAfter(5, "e1")).isNull();
            assertThat(page.incompleteAfter(1, "e1")).isEqualTo("position older than history");
            assertThat(page.incompleteAfter(6, "e1")).isEqualTo("position ahead of history");
        }
        assertThat(appended()).isEqualTo(10);
        assertThat(evicted("size")).isEqualTo(4);
        assertThat(evicted("ttl")).isZero();
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void ttlEvictsWhatIsOlderAndRaisesTheFloorPastIt(Kind kind) throws Exception {
        open(kind);
        append("r", messages("e1", 1, 2), ROOMY, 0, -1);
        advance(Duration.ofSeconds(40));
        append("r", messages("e1", 3, 4), ROOMY, 2, -1);
        advance(Duration.ofSeconds(30)); // 1 and 2 are 70 s old, 3 and 4 are 30 s old

        HistoryPage page = read("r", -1, 0, ROOMY);
        assertThat(offsets(page)).containsExactly(3L, 4L);
        assertThat(page.floor()).isEqualTo(2);
        assertThat(page.top()).isEqualTo(4);
        assertThat(page.incompleteAfter(2, "e1")).isNull();
        assertThat(page.incompleteAfter(1, "e1")).isEqualTo("position older than history");
        assertThat(offsets(read("r", 0, 1, ROOMY))).containsExactly(3L);

        append("r", messages("e1", 5), ROOMY, 4, -1); // the Redis store trims (and counts) on append
        assertThat(offsets(read("r", -1, 0, ROOMY))).containsExactly(3L, 4L, 5L);
        assertThat(evicted("ttl")).isEqualTo(2);
        assertThat(evicted("size")).isZero();
        assertThat(appended()).isEqualTo(5);
    }

    /** No appends for longer than ttl: the Redis list key is gone, the record (meta) is not. */
    @ParameterizedTest
    @EnumSource(Kind.class)
    void aRoomWhoseEntriesAllExpiredReportsFloorEqualToTop(Kind kind) throws Exception {
        open(kind);
        HistoryPolicy short1s = new HistoryPolicy("*", 100, Duration.ofSeconds(1));
        append("r", messages("e1", 1, 2, 3), short1s, 0, -1);
        if (kind == Kind.REDIS) {
            await("Redis expires the room's list").atMost(WAIT).pollInterval(Duration.ofMillis(50))
                    .until(() -> redis.commands().exists("hist:{r}:log") == 0);
            assertThat(redis.commands().exists("hist:{r}:meta")).isEqualTo(1);
        } else {
            advance(Duration.ofSeconds(1).plusMillis(1));
        }

        HistoryPage page = read("r", -1, 0, short1s);
        assertThat(page.messages()).isEmpty();
        assertThat(page.epoch()).isEqualTo("e1");
        assertThat(page.top()).isEqualTo(3);
        assertThat(page.floor()).isEqualTo(3);
        assertThat(page.incompleteAfter(3, "e1")).isNull();
        assertThat(page.incompleteAfter(1, "e1")).isEqualTo("position older than history");

        // The next append (here under a longer ttl) must not resurrect the old floor: 1..3 are gone for good.
        append("r", messages("e1", 4), ROOMY, 3, -1);
        HistoryPage after = read("r", -1, 0, ROOMY);
        assertThat(offsets(after)).containsExactly(4L);
        assertThat(after.floor()).isEqualTo(3);
        assertThat(after.top()).isEqualTo(4);
        assertThat(after.incompleteAfter(1, "e1")).isEqualTo("position older than history");
        assertThat(after.incompleteAfter(3, "e1")).isNull();
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void aNewEpochStartsTheRoomOver(Kind kind) throws Exception {
        open(kind);
        append("r", messages("e1", 1, 2, 3), ROOMY, 0, -1);
        append("r", messages("e2", 100, 101), ROOMY, 99, -1);

        HistoryPage page = read("r", -1, 0, ROOMY);
        assertThat(offsets(page)).containsExactly(100L, 101L);
        assertThat(page.epoch()).isEqualTo("e2");
        assertThat(page.floor()).isEqualTo(99);
        assertThat(page.top()).isEqualTo(101);
        assertThat(page.incompleteAfter(2, "e1")).isEqualTo("epoch changed");
        assertThat(page.incompleteAfter(99, "e2")).isNull();
        assertThat(evicted("epoch")).isEqualTo(3);
        assertThat(appended()).isEqualTo(5);
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void aLostAppendRaisesTheFloor(Kind kind) throws Exception {
        open(kind);
        append("r", messages("e1", 1, 2, 3), ROOMY, 0, -1);
        append("r", messages("e1", 6, 7), ROOMY, 5, 5); // 4 and 5 were delivered but their append failed

        HistoryPage page = read("r", -1, 0, ROOMY);
        assertThat(offsets(page)).containsExactly(1L, 2L, 3L, 6L, 7L);
        assertThat(page.floor()).isEqualTo(5);
        assertThat(page.top()).isEqualTo(7);
        assertThat(page.incompleteAfter(3, "e1")).isEqualTo("position older than history");
        assertThat(page.incompleteAfter(5, "e1")).isNull();
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void redisStreamsOffsetsRoundTripExactly(Kind kind) throws Exception {
        open(kind);
        long a = Position.fromRedisId("1765000000000-5");
        long b = Position.fromRedisId("1765000000000-6");
        long c = Position.fromRedisId("1765000000001-0");
        long d = Position.fromRedisId("1765000000001-1");
        assertThat(a).isGreaterThan(1L << 62); // beyond a double's exact integers
        HistoryPolicy two = new HistoryPolicy("*", 2, Duration.ofMinutes(1));

        append("r", messages("e1", a, b), two, a - 1, -1);
        append("r", messages("e1", b, c), two, b, -1); // b again: a redelivery one apart from c
        HistoryPage page = read("r", -1, 0, two);
        assertThat(offsets(page)).containsExactly(b, c);
        assertThat(page.top()).isEqualTo(c);
        assertThat(page.floor()).isEqualTo(a);
        assertThat(offsets(read("r", b, 0, two))).containsExactly(c);
        assertThat(page.incompleteAfter(a, "e1")).isNull();
        assertThat(page.incompleteAfter(a - 1, "e1")).isEqualTo("position older than history");
        assertThat(page.incompleteAfter(d, "e1")).isEqualTo("position ahead of history");

        append("r", messages("e1", d), two, c, d - 1); // lostUpTo one below d, exactly
        HistoryPage later = read("r", -1, 0, two);
        assertThat(offsets(later)).containsExactly(c, d);
        assertThat(later.floor()).isEqualTo(d - 1);
        assertThat(later.incompleteAfter(d - 1, "e1")).isNull();
        assertThat(later.incompleteAfter(d - 2, "e1")).isEqualTo("position older than history");
        assertThat(appended()).isEqualTo(4);
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void anUnknownRoomHasNoHistory(Kind kind) throws Exception {
        open(kind);
        append("other", messages("e1", 1), ROOMY, 0, -1);
        HistoryPage page = read("never-appended", -1, 0, ROOMY);
        assertThat(page).isEqualTo(HistoryPage.EMPTY);
        assertThat(page.incompleteAfter(0, "e1")).isEqualTo("no history for this topic");
        assertThat(page.incompleteAfter(0, "")).isEqualTo("no history for this topic");
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void metricsCountAppendsAndEvictionsByReason(Kind kind) throws Exception {
        open(kind);
        HistoryPolicy two = new HistoryPolicy("*", 2, Duration.ofMinutes(1));
        append("r", messages("e1", 1, 2, 3), two, 0, -1);        // 3 appended; 1 by size
        append("r", messages("e1", 2, 3, 4), two, 1, -1);        // 4 appended; 2 by size
        advance(Duration.ofMinutes(2));
        append("r", messages("e1", 5), two, 4, -1);              // 5 appended; 3 by size, then 4 by ttl
        append("r", messages("e2", 1, 2), two, 0, -1);           // 2 appended; 5 by epoch
        assertThat(appended()).isEqualTo(7);
        assertThat(evicted("size")).isEqualTo(3);
        assertThat(evicted("ttl")).isEqualTo(1);
        assertThat(evicted("epoch")).isEqualTo(1);
        assertThat(offsets(read("r", -1, 0, two))).containsExactly(1L, 2L);
    }

    /** Helps the memory-only tests below reach the store's test hooks. */
    private MemoryHistoryStore memory() {
        return (MemoryHistoryStore) store;
    }

    @Test
    void theMemoryStoreDropsARoomOnceItsEntriesExpiredAndItsLastAppendIsOlderThanTtlPlusADay() throws Exception {
        open(Kind.MEMORY);
        Duration recordLife = ROOMY.ttl().plus(Duration.ofDays(1)); // as long as Redis keeps a room's meta key
        append("quiet", messages("e1", 1, 2), ROOMY, 0, -1);
        advance(recordLife.minusSeconds(1));
        HistoryPage kept = read("quiet", -1, 0, ROOMY); // entries gone, the record still says what was lost
        assertThat(kept.messages()).isEmpty();
        assertThat(kept.epoch()).isEqualTo("e1");
        assertThat(kept.floor()).isEqualTo(2);
        assertThat(kept.top()).isEqualTo(2);
        assertThat(memory().roomCount()).isEqualTo(1);

        advance(Duration.ofSeconds(2));
        assertThat(read("quiet", -1, 0, ROOMY)).isEqualTo(HistoryPage.EMPTY);
        assertThat(memory().roomCount()).isZero();

        append("quiet", messages("e1", 3), ROOMY, 2, -1); // comes back as a new room
        HistoryPage back = read("quiet", -1, 0, ROOMY);
        assertThat(offsets(back)).containsExactly(3L);
        assertThat(back.floor()).isEqualTo(2);

        // Rooms nobody reads again go too: appends elsewhere sweep them.
        for (int i = 0; i < 100; i++) {
            append("idle-" + i, messages("e1", 1), ROOMY, 0, -1);
        }
        advance(recordLife.plusMinutes(5));
        append("busy", messages("e1", 1), ROOMY, 0, -1);
        assertThat(memory().roomCount()).isEqualTo(1);
        assertThat(offsets(read("busy", -1, 0, ROOMY))).containsExactly(1L);
    }

    @Test
    void theMemoryStoreKeepsARoomThatStillHasEntries() throws Exception {
        open(Kind.MEMORY);
        HistoryPolicy twoDays = new HistoryPolicy("*", 100, Duration.ofDays(2));
        append("r", messages("e1", 1), twoDays, 0, -1);
        advance(Duration.ofDays(1).plusHours(1));
        append("other", messages("e1", 1), twoDays, 0, -1);
        assertThat(memory().roomCount()).isEqualTo(2);
        assertThat(offsets(read("r", -1, 0, twoDays))).containsExactly(1L);
    }
}
