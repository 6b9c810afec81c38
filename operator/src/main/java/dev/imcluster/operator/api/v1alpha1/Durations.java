package dev.imcluster.operator.api.v1alpha1;

/** The duration syntax of the CRD, which the broker's config loader also reads (e.g. 1s, 200ms, 1m30s). */
public final class Durations {
    /** One or more number+unit groups; units ms, s, m, h. */
    public static final String PATTERN = "^([0-9]+(ms|s|m|h))+$";
    /** Long enough for any sensible duration; bounds the numbers the broker has to parse. */
    public static final int MAX_LENGTH = 16;

    private Durations() {
    }
}
