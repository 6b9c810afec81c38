package dev.imcluster.broker.logic.auth;

import dev.imcluster.broker.security.Permissions;
import java.util.List;

/**
 * Who a connection is, as logic's Connect tells comet: goim's mid, key, room and accepted operations, and what its
 * token permits ({@link Permissions#ALL} in goim mode).
 */
public record Identity(long mid, String key, String roomId, String platform, List<Integer> accepts,
                       Permissions permissions) {
}
