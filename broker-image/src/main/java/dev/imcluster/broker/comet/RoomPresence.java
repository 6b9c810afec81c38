package dev.imcluster.broker.comet;

import dev.imcluster.broker.api.internal.OnlineReq;
import dev.imcluster.broker.api.internal.PresenceChange;
import dev.imcluster.broker.api.internal.PresenceMember;
import dev.imcluster.broker.session.Presence;

/**
 * This comet's part of presence (delivery.presence): every online report carries the members of its tracked rooms,
 * which logic keeps for {@value #TTL_INTERVALS} report intervals; each join and leave in a tracked room is sent
 * to logic at once, which records it and publishes it to the room as a presence event. Joins, leaves and reports
 * are sent independently: a leave that overtakes the join, or a report snapshot written after the leave, leaves the
 * member listed until its entry expires (it is not reported again).
 */
final class RoomPresence implements Bucket.Membership {
    /** A member not reported again for this many intervals (its comet died, or a leave was lost) is dropped. */
    static final int TTL_INTERVALS = 3;

    private final CometContext comet;
    private final Presence tracked;
    private final long ttlMillis;

    RoomPresence(CometContext comet, Presence tracked) {
        this.comet = comet;
        this.tracked = tracked;
        this.ttlMillis = Math.max(1, comet.config.onlineReportInterval.toMillis() * TTL_INTERVALS);
    }

    /** Adds the members of the tracked rooms to a periodic online report. */
    void addTo(OnlineReq.Builder report) {
        if (tracked.isEmpty()) {
            return;
        }
        report.addAllPresence(comet.buckets.presence(tracked)).setPresenceTtlMs(ttlMillis);
        comet.metrics.presenceReports.increment(report.getPresenceCount());
    }

    @Override
    public void joined(String roomId, RoomMember member, long sinceMillis) {
        changed(roomId, member, sinceMillis, true);
    }

    @Override
    public void left(String roomId, RoomMember member, long sinceMillis) {
        changed(roomId, member, sinceMillis, false);
    }

    private void changed(String roomId, RoomMember member, long sinceMillis, boolean joined) {
        if (!tracked.tracks(roomId)) {
            return;
        }
        PresenceChange change = PresenceChange.newBuilder().setServer(comet.serverId).setRoom(roomId)
                .setMember(PresenceMember.newBuilder().setKey(member.memberKey()).setMid(member.memberMid())
                        .setSinceMillis(sinceMillis))
                .setJoined(joined).setTtlMs(ttlMillis).build();
        (joined ? comet.metrics.presenceJoins : comet.metrics.presenceLeaves).increment();
        comet.logic.presenceChanged(change).whenComplete((reply, err) -> {
            if (err != null) {
                comet.metrics.logicError("presence_changed");
                comet.logicLog.warn("logic PresenceChanged failed for room {} ({} of key {} not published; the"
                        + " member list heals at the next report): {}", roomId, joined ? "join" : "leave",
                        member.memberKey(), LogicSession.describe(err));
            }
        });
    }
}
