package dev.imcluster.operator.model;

import dev.imcluster.operator.api.v1alpha1.CometSpec;
import dev.imcluster.operator.api.v1alpha1.LogicSpec;
import dev.imcluster.operator.api.v1alpha1.PubSubClusterSpec;

import java.util.List;

/** spec.comet.limits and spec.logic.limits. */
final class LimitValidation {
    private LimitValidation() {
    }

    /** The CEL rules of spec.comet.limits and spec.logic.limits: a burst means nothing without its rate. */
    static void limits(PubSubClusterSpec s, List<String> p) {
        CometSpec.Limits c = s.comet == null ? null : s.comet.limits;
        if (c != null) {
            if (c.connectBurst != null && c.connectsPerSecond != null && c.connectsPerSecond <= 0) {
                p.add("spec." + CometSpec.Limits.CONNECT_BURST_WITHOUT_RATE);
            }
            if (c.publishBurst != null && (c.publishesPerSecond == null || c.publishesPerSecond <= 0)) {
                p.add("spec." + CometSpec.Limits.PUBLISH_BURST_WITHOUT_RATE);
            }
            if (c.publishPerAddressBurst != null
                    && (c.publishesPerAddressPerSecond == null || c.publishesPerAddressPerSecond <= 0)) {
                p.add("spec." + CometSpec.Limits.ADDRESS_BURST_WITHOUT_RATE);
            }
        }
        LogicSpec.Limits l = s.logic == null ? null : s.logic.limits;
        if (l != null && l.pushBurst != null && (l.pushesPerSecond == null || l.pushesPerSecond <= 0)) {
            p.add("spec." + LogicSpec.Limits.PUSH_BURST_WITHOUT_RATE);
        }
    }
}
