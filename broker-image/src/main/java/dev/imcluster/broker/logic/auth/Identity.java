package dev.imcluster.broker.logic.auth;

import java.util.List;

/** Who a connection is, as logic's Connect tells comet: goim's mid, key, room and accepted operations. */
public record Identity(long mid, String key, String roomId, String platform, List<Integer> accepts) {
}
