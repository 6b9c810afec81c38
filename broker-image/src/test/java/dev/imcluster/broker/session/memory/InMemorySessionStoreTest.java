package dev.imcluster.broker.session.memory;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import dev.imcluster.broker.session.PresenceMember;
import org.junit.jupiter.api.Test;

class InMemorySessionStoreTest {

    private final AtomicLong now = new AtomicLong(1_000);
    private final InMemorySessionStore store = new InMemorySessionStore(Duration.ofMinutes(30), now::get);

    @Test
    void mappingsResolveKeysAndMids() {
        store.addMapping(7, "k1", "comet-a").join();
        store.addMapping(7, "k2", "comet-b").join();
        store.addMapping(0, "anon", "comet-a").join();
        assertThat(store.serversByKeys(List.of("k1", "anon", "missing")).join())
                .containsExactlyInAnyOrderEntriesOf(Map.of("k1", "comet-a", "anon", "comet-a"));
        assertThat(store.keysByMids(List.of(7L, 8L)).join())
                .containsExactlyInAnyOrderEntriesOf(Map.of("k1", "comet-a", "k2", "comet-b"));
        assertThat(store.delMapping(7, "k1", "comet-a").join()).isTrue();
        assertThat(store.delMapping(7, "k1", "comet-a").join()).isFalse();
        assertThat(store.keysByMids(List.of(7L)).join()).containsOnlyKeys("k2");
    }

    @Test
    void presenceListsMembersUntilTheyLeaveOrTheirTtlPasses() {
        PresenceMember a = new PresenceMember("k1", 7, "comet-a", 1_000);
        PresenceMember b = new PresenceMember("sub", 0, "comet-b", 2_000);
        store.addPresence("chat://1", List.of(b, a), Duration.ofSeconds(3)).join();
        assertThat(store.presence("chat://1").join()).containsExactly(a, b);
        assertThat(store.removePresence("chat://1", b).join()).isTrue();
        assertThat(store.removePresence("chat://1", b).join()).isFalse();
        now.addAndGet(Duration.ofSeconds(2).toNanos());
        store.addPresence("chat://1", List.of(b), Duration.ofSeconds(3)).join();
        now.addAndGet(Duration.ofSeconds(2).toNanos());
        assertThat(store.presence("chat://1").join()).as("a was not reported again").containsExactly(b);
        assertThat(store.presence("chat://2").join()).isEmpty();
    }

    @Test
    void entriesExpireAfterTheTtlUnlessRenewed() {
        store.addMapping(1, "old", "s").join();
        store.addMapping(2, "renewed", "s").join();
        now.addAndGet(Duration.ofMinutes(20).toNanos());
        assertThat(store.expireMapping(2, "renewed", "s").join()).isTrue();
        now.addAndGet(Duration.ofMinutes(20).toNanos());
        assertThat(store.serversByKeys(List.of("old", "renewed")).join()).containsOnlyKeys("renewed");
        assertThat(store.keysByMids(List.of(1L)).join()).isEmpty();
        assertThat(store.expireMapping(1, "old", "s").join()).isFalse();
        assertThat(store.size()).isEqualTo(1);
    }

    @Test
    void onlineCountsPerServerExpire() {
        store.addServerOnline("a", Map.of("live://1", 3)).join();
        now.addAndGet(Duration.ofMinutes(20).toNanos());
        store.addServerOnline("b", Map.of("live://1", 2)).join();
        assertThat(store.onlineServers().join()).containsExactlyInAnyOrder("a", "b");
        now.addAndGet(Duration.ofMinutes(20).toNanos());
        assertThat(store.onlineServers().join()).containsExactly("b");
        assertThat(store.serverOnline("a").join()).isEmpty();
        assertThat(store.serverOnline("b").join()).containsEntry("live://1", 2);
    }
}
