package dev.imcluster.broker.session;

/**
 * One member of a room on one comet, as the session store keeps it: its connection key (generated for gRPC
 * subscribers), user id (0 when none), comet and when it joined. The four together identify the entry, so a
 * member that leaves and joins again is a new entry.
 */
public record PresenceMember(String key, long mid, String server, long sinceMillis) {
}
