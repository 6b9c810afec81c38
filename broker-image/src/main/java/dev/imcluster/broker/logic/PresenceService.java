package dev.imcluster.broker.logic;

import com.google.protobuf.Timestamp;
import dev.imcluster.broker.api.internal.OnlineReq;
import dev.imcluster.broker.api.internal.PresenceChange;
import dev.imcluster.broker.api.internal.PresenceMember;
import dev.imcluster.broker.api.internal.RoomPresence;
import dev.imcluster.broker.api.pubsub.PresenceEvent;
import dev.imcluster.broker.api.pubsub.PresenceResponse;
import dev.imcluster.broker.session.Presence;
import dev.imcluster.broker.session.SessionStore;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * Room members across comets (delivery.presence), kept in the session store as online counts are: each comet
 * reports the members of its tracked rooms every comet.onlineReportInterval (with a TTL of three intervals, so
 * a dead comet's members vanish within it), and each join or leave at once, which logic records and then
 * publishes to the room as a presence event (see {@link Presence}).
 */
final class PresenceService {

    private final SessionStore sessions;
    private final OnlineService online;
    private final PushService push;
    private final Presence rooms;
    private final int topicOperation;
    private final Counter reports;
    private final Counter joins;
    private final Counter leaves;

    PresenceService(SessionStore sessions, OnlineService online, PushService push, Presence rooms, int topicOperation,
                    MeterRegistry meters) {
        this.sessions = sessions;
        this.online = online;
        this.push = push;
        this.rooms = rooms;
        this.topicOperation = topicOperation;
        this.reports = Counter.builder("imcluster_logic_presence_reports")
                .description("Room member lists stored from comets' periodic presence reports").register(meters);
        this.joins = event(meters, Presence.JOIN);
        this.leaves = event(meters, Presence.LEAVE);
    }

    private static Counter event(MeterRegistry meters, String type) {
        return Counter.builder("imcluster_logic_presence_events").tag("type", type)
                .description("Presence join/leave events published to their rooms").register(meters);
    }

    /** Stores the member lists of a comet's online report (nothing when it tracks no room). */
    CompletableFuture<Void> report(OnlineReq req) {
        if (req.getPresenceCount() == 0) {
            return CompletableFuture.completedFuture(null);
        }
        Duration ttl = Duration.ofMillis(req.getPresenceTtlMs());
        List<CompletableFuture<Void>> writes = new ArrayList<>(req.getPresenceCount());
        for (RoomPresence room : req.getPresenceList()) {
            List<dev.imcluster.broker.session.PresenceMember> members = new ArrayList<>(room.getMembersCount());
            room.getMembersList().forEach(m -> members.add(stored(req.getServer(), m)));
            writes.add(sessions.addPresence(room.getRoom(), members, ttl));
        }
        return CompletableFuture.allOf(writes.toArray(CompletableFuture[]::new)).thenRun(
                () -> reports.increment(req.getPresenceCount()));
    }

    /** Records a join or leave, then publishes it to the room (so the member is listed before anyone hears of it). */
    CompletableFuture<Void> changed(PresenceChange change) {
        dev.imcluster.broker.session.PresenceMember member = stored(change.getServer(), change.getMember());
        CompletableFuture<?> stored = change.getJoined()
                ? sessions.addPresence(change.getRoom(), List.of(member), Duration.ofMillis(change.getTtlMs()))
                : sessions.removePresence(change.getRoom(), member);
        PresenceEvent event = PresenceEvent.newBuilder()
                .setType(change.getJoined() ? PresenceEvent.Type.JOIN : PresenceEvent.Type.LEAVE)
                .setKey(member.key()).setMid(member.mid()).setServer(member.server()).build();
        String type = change.getJoined() ? Presence.JOIN : Presence.LEAVE;
        return stored.handle((v, error) -> {
            if (error != null) {
                throw new CompletionException(new IllegalStateException("presence not recorded (session store): "
                        + unwrap(error).getMessage(), unwrap(error)));
            }
            return v;
        }).thenCompose(v -> push.pushRoom(topicOperation, change.getRoom(), event.toByteArray(),
                        Map.of(Presence.EVENT_HEADER, type)).handle((accepted, error) -> {
                            if (error != null) {
                                throw new CompletionException(new IllegalStateException("presence event not "
                                        + "published (queue): " + unwrap(error).getMessage(), unwrap(error)));
                            }
                            (change.getJoined() ? joins : leaves).increment();
                            return null;
                        }));
    }

    private static Throwable unwrap(Throwable error) {
        return error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
    }

    /** The topic's members when delivery.presence tracks it; otherwise its online count only. */
    CompletableFuture<PresenceResponse> read(String topic) {
        if (!rooms.tracks(topic)) {
            return online.allRooms().thenApply(counts -> PresenceResponse.newBuilder()
                    .setCount(counts.getOrDefault(topic, 0)).build());
        }
        return sessions.presence(topic).thenApply(members -> {
            PresenceResponse.Builder response = PresenceResponse.newBuilder().setCount(members.size());
            for (dev.imcluster.broker.session.PresenceMember m : members) {
                response.addMembersBuilder().setKey(m.key()).setMid(m.mid()).setServer(m.server())
                        .setSince(Timestamp.newBuilder().setSeconds(Math.floorDiv(m.sinceMillis(), 1000))
                                .setNanos((int) Math.floorMod(m.sinceMillis(), 1000) * 1_000_000));
            }
            return response.build();
        });
    }

    private static dev.imcluster.broker.session.PresenceMember stored(String server, PresenceMember m) {
        return new dev.imcluster.broker.session.PresenceMember(m.getKey(), m.getMid(), server, m.getSinceMillis());
    }
}
