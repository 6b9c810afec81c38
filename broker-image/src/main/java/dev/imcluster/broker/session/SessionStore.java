package dev.imcluster.broker.session;

import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Where logic keeps sessions, with goim's schema: {@code mid_{mid}} is a hash of key to server,
 * {@code key_{key}} maps to server, {@code ol_{server}} holds that comet's online counts per room. Entries
 * expire after the session TTL unless renewed by heartbeats. Presence (delivery.presence rooms): each room's
 * members across comets, every entry expiring after the TTL its comet gives unless reported again, so the members
 * of a comet that died vanish within that TTL. Implementations: in-memory and Redis (lettuce).
 */
public interface SessionStore extends AutoCloseable {

    /** Records a connection: key on server, and mid's key (mid 0 means no user id: only the key is stored). */
    CompletableFuture<Void> addMapping(long mid, String key, String server);

    /** Renews the TTL of the connection's entries; false if they were gone (then they are written again). */
    CompletableFuture<Boolean> expireMapping(long mid, String key, String server);

    /** Removes the connection's entries; true if there were any. */
    CompletableFuture<Boolean> delMapping(long mid, String key, String server);

    /** key to server, for the keys that have a session. */
    CompletableFuture<Map<String, String>> serversByKeys(Collection<String> keys);

    /** key to server, for every connection of these mids. */
    CompletableFuture<Map<String, String>> keysByMids(Collection<Long> mids);

    /** Stores one comet's online counts per room (expires with the TTL unless reported again). */
    CompletableFuture<Void> addServerOnline(String server, Map<String, Integer> roomCounts);

    /** One comet's last reported counts per room (empty when expired or never reported). */
    CompletableFuture<Map<String, Integer>> serverOnline(String server);

    /** Servers that have reported online counts and not yet expired. */
    CompletableFuture<List<String>> onlineServers();

    /**
     * Records room members (a comet's report, or one join), each expiring {@code ttl} from now unless written
     * again.
     */
    CompletableFuture<Void> addPresence(String room, Collection<PresenceMember> members, Duration ttl);

    /** Removes one member entry (a leave); true if it was there. */
    CompletableFuture<Boolean> removePresence(String room, PresenceMember member);

    /** The room's unexpired members on every comet, oldest join first. */
    CompletableFuture<List<PresenceMember>> presence(String room);

    /** True while the store is reachable; shown in /readyz and metrics. */
    boolean healthy();

    @Override
    void close();
}
