package dev.imcluster.broker.session.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import dev.imcluster.broker.config.BrokerConfig;
import dev.imcluster.broker.session.PresenceMember;
import dev.imcluster.broker.testinfra.RedisServerProcess;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/** The Redis session store against a real redis-server: goim's keys, TTL renewal and expiry, online counts, presence, auth. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RedisSessionStoreTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    private RedisServerProcess redis;
    private RedisServerProcess securedRedis;
    private RedisSessionStore store;

    @BeforeAll
    void start() {
        redis = RedisServerProcess.launch();
        securedRedis = RedisServerProcess.launch("s3cret-pass");
    }

    @AfterAll
    void stop() {
        redis.close();
        securedRedis.close();
    }

    @AfterEach
    void closeStore() {
        if (store != null) {
            store.close();
            store = null;
        }
        redis.commands().flushall();
    }

    private BrokerConfig config(String address, Duration ttl) {
        BrokerConfig c = new BrokerConfig();
        c.redis.address = address;
        c.redis.commandTimeout = Duration.ofSeconds(3);
        c.logic.sessionTtl = ttl;
        return c;
    }

    private RedisSessionStore open(Duration ttl) {
        store = new RedisSessionStore(config(redis.address(), ttl), new SimpleMeterRegistry());
        return store;
    }

    private static <T> T get(java.util.concurrent.CompletableFuture<T> f) throws Exception {
        return f.get(10, TimeUnit.SECONDS);
    }

    @Test
    void presenceListsMembersAcrossServersUntilTheyExpireOrLeave() throws Exception {
        RedisSessionStore s = open(Duration.ofMinutes(30));
        PresenceMember a1 = new PresenceMember("k1", 7, "comet-a", 1_000);
        PresenceMember a2 = new PresenceMember("sub-1", 0, "comet-a", 2_000);
        PresenceMember b1 = new PresenceMember("k:with\nodd chars", 8, "comet-b", 3_000);
        get(s.addPresence("chat://1", List.of(a1, a2), Duration.ofMinutes(1)));
        get(s.addPresence("chat://1", List.of(b1), Duration.ofMinutes(1)));
        get(s.addPresence("chat://2", List.of(a1), Duration.ofMinutes(1)));

        assertThat(get(s.presence("chat://1"))).as("oldest join first, every server").containsExactly(a1, a2, b1);
        assertThat(get(s.presence("chat://2"))).containsExactly(a1);
        assertThat(get(s.presence("chat://none"))).isEmpty();
        assertThat(redis.commands().pttl(RedisSessionStore.presenceKey("chat://1"))).as("the room's key expires")
                .isBetween(1L, 60_000L);

        assertThat(get(s.removePresence("chat://1", a2))).isTrue();
        assertThat(get(s.removePresence("chat://1", a2))).as("already gone").isFalse();
        assertThat(get(s.presence("chat://1"))).containsExactly(a1, b1);

        // A member not reported again within its TTL is dropped; the others stay, and so does the key.
        get(s.addPresence("chat://1", List.of(b1), Duration.ofMillis(300)));
        assertThat(redis.commands().pttl(RedisSessionStore.presenceKey("chat://1")))
                .as("a short TTL never shortens the key").isGreaterThan(1_000L);
        await().atMost(WAIT).until(() -> get(s.presence("chat://1")).equals(List.of(a1)));
        assertThat(redis.commands().zcard(RedisSessionStore.presenceKey("chat://1"))).as("pruned on read")
                .isEqualTo(1L);

        get(s.addPresence("chat://3", List.of(a1), Duration.ofMillis(300)));
        await().atMost(WAIT).until(() -> redis.commands().exists(RedisSessionStore.presenceKey("chat://3")) == 0);
    }

    @Test
    void mapsKeysAndMidsWithGoimKeys() throws Exception {
        RedisSessionStore s = open(Duration.ofMinutes(30));
        get(s.addMapping(7, "k1", "comet-a"));
        get(s.addMapping(7, "k2", "comet-b"));
        get(s.addMapping(0, "k3", "comet-a"));

        assertThat(redis.commands().hgetall("mid_7")).isEqualTo(Map.of("k1", "comet-a", "k2", "comet-b"));
        assertThat(redis.commands().get("key_k3")).isEqualTo("comet-a");
        assertThat(redis.commands().exists("mid_0")).as("mid 0 stores only the key").isZero();
        assertThat(redis.commands().ttl("key_k1")).isBetween(1L, 1800L);

        assertThat(get(s.serversByKeys(List.of("k1", "k2", "k3", "missing"))))
                .isEqualTo(Map.of("k1", "comet-a", "k2", "comet-b", "k3", "comet-a"));
        assertThat(get(s.keysByMids(List.of(7L, 8L)))).isEqualTo(Map.of("k1", "comet-a", "k2", "comet-b"));

        assertThat(get(s.delMapping(7, "k1", "comet-a"))).isTrue();
        assertThat(get(s.keysByMids(List.of(7L)))).isEqualTo(Map.of("k2", "comet-b"));
        assertThat(get(s.serversByKeys(List.of("k1")))).isEmpty();
        assertThat(get(s.delMapping(7, "k1", "comet-a"))).as("already gone").isFalse();
        assertThat(get(s.serversByKeys(List.of()))).isEmpty();
        assertThat(s.healthy()).isTrue();
    }

    @Test
    void heartbeatsRenewTheTtlAndSilentSessionsExpire() throws Exception {
        RedisSessionStore s = open(Duration.ofSeconds(2));
        get(s.addMapping(9, "kx", "comet-a"));
        redis.commands().expire("key_kx", 1);
        redis.commands().expire("mid_9", 1);
        assertThat(get(s.expireMapping(9, "kx", "comet-a"))).as("renewed").isTrue();
        assertThat(redis.commands().pttl("key_kx")).as("TTL back to the session TTL").isGreaterThan(1000L);
        assertThat(redis.commands().pttl("mid_9")).isGreaterThan(1000L);

        await("expired without heartbeats").atMost(WAIT)
                .until(() -> get(s.serversByKeys(List.of("kx"))).isEmpty() && get(s.keysByMids(List.of(9L))).isEmpty());

        assertThat(get(s.expireMapping(9, "kx", "comet-a"))).as("was gone").isFalse();
        assertThat(get(s.serversByKeys(List.of("kx")))).as("written again").isEqualTo(Map.of("kx", "comet-a"));
        assertThat(get(s.keysByMids(List.of(9L)))).isEqualTo(Map.of("kx", "comet-a"));
    }

    @Test
    void storesOnlineCountsPerServerUntilTheyExpire() throws Exception {
        RedisSessionStore s = open(Duration.ofSeconds(2));
        get(s.addServerOnline("comet-a", Map.of("room://1", 3, "room://2", 5)));
        get(s.addServerOnline("comet-b", Map.of("room://1", 1)));
        assertThat(get(s.serverOnline("comet-a"))).isEqualTo(Map.of("room://1", 3, "room://2", 5));
        assertThat(redis.commands().hgetall("ol_comet-a")).isEqualTo(Map.of("room://1", "3", "room://2", "5"));
        assertThat(get(s.onlineServers())).containsExactlyInAnyOrder("comet-a", "comet-b");

        get(s.addServerOnline("comet-a", Map.of("room://2", 1)));
        assertThat(get(s.serverOnline("comet-a"))).as("a report replaces the last").isEqualTo(Map.of("room://2", 1));
        get(s.addServerOnline("comet-b", Map.of()));
        assertThat(get(s.serverOnline("comet-b"))).isEmpty();
        assertThat(get(s.onlineServers())).contains("comet-b");

        await("reports expire").atMost(WAIT)
                .until(() -> get(s.onlineServers()).isEmpty() && get(s.serverOnline("comet-a")).isEmpty());
    }

    @Test
    void authenticatesWithThePasswordFromItsFile(@TempDir Path dir) throws Exception {
        Path passwordFile = dir.resolve("redis-password");
        Files.writeString(passwordFile, "s3cret-pass\n");
        BrokerConfig c = config(securedRedis.address(), Duration.ofMinutes(1));
        c.redis.passwordFile = passwordFile.toString();
        try (RedisSessionStore s = new RedisSessionStore(c, new SimpleMeterRegistry())) {
            get(s.addMapping(1, "secure-key", "comet-a"));
            assertThat(get(s.serversByKeys(List.of("secure-key")))).isEqualTo(Map.of("secure-key", "comet-a"));
        }
    }

    @Test
    void aWrongOrMissingPasswordFailsWithAClearError(@TempDir Path dir) throws Exception {
        Path wrong = dir.resolve("wrong");
        Files.writeString(wrong, "not-it");
        BrokerConfig c = config(securedRedis.address(), Duration.ofMinutes(1));
        c.redis.passwordFile = wrong.toString();
        Throwable error = catchThrowable(() -> new RedisSessionStore(c, new SimpleMeterRegistry()).close());
        assertThat(error).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining(securedRedis.address()).hasMessageContaining("WRONGPASS");

        BrokerConfig none = config(securedRedis.address(), Duration.ofMinutes(1));
        Throwable missing = catchThrowable(() -> {
            try (RedisSessionStore s = new RedisSessionStore(none, new SimpleMeterRegistry())) {
                get(s.addMapping(1, "k", "comet-a"));
            }
        });
        assertThat(missing).hasStackTraceContaining("NOAUTH");
    }

    @Test
    void whileRedisIsDownCallsFailNamingItAndRecoverAfterwards() throws Exception {
        RedisSessionStore s = open(Duration.ofMinutes(1));
        get(s.addMapping(3, "before", "comet-a"));
        redis.stop();
        try {
            Throwable error = catchThrowable(() -> get(s.serversByKeys(List.of("before"))));
            assertThat(error).isInstanceOf(java.util.concurrent.ExecutionException.class)
                    .cause().isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("session Redis " + redis.address() + " unavailable");
            await("unhealthy").atMost(WAIT).until(() -> !s.healthy());
        } finally {
            redis.start();
        }
        await("reconnected").atMost(WAIT).until(s::healthy);
        assertThat(get(s.serversByKeys(List.of("before")))).isEqualTo(Map.of("before", "comet-a"));
    }

    @Test
    void startsWhileRedisIsDownAndConnectsWhenItComesUp() throws Exception {
        RedisServerProcess late = RedisServerProcess.launch();
        late.stop();
        try {
            try (RedisSessionStore s = new RedisSessionStore(config(late.address(), Duration.ofMinutes(1)),
                    new SimpleMeterRegistry())) {
                assertThat(s.healthy()).isFalse();
                assertThat(catchThrowable(() -> get(s.addMapping(1, "k", "comet-a"))))
                        .hasMessageContaining("session Redis " + late.address() + " unavailable");
                late.start();
                await("connects once Redis is up").atMost(WAIT).ignoreExceptions()
                        .until(() -> get(s.addMapping(1, "k", "comet-a")) == null);
                assertThat(get(s.serversByKeys(List.of("k")))).isEqualTo(Map.of("k", "comet-a"));
            }
        } finally {
            late.close();
        }
    }

    @Test
    void aMissingPasswordFileIsAConfigError() {
        BrokerConfig c = config(redis.address(), Duration.ofMinutes(1));
        c.redis.passwordFile = "/nonexistent/redis-password";
        assertThat(catchThrowable(() -> new RedisSessionStore(c, new SimpleMeterRegistry())))
                .isInstanceOf(dev.imcluster.broker.config.ConfigException.class)
                .hasMessageContaining("redis.passwordFile");
    }
}
