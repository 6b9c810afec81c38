package dev.imcluster.operator.api.v1alpha1;

/** The duration syntax of the CRD, which the broker's config loader also reads (e.g. 1s, 200ms, 1m30s). */
public final class Durations {
    /** One or more number+unit groups; units ms, s, m, h. */
    public static final String PATTERN = "^([0-9]+(ms|s|m|h))+$";

    private Durations() {
    }
}
