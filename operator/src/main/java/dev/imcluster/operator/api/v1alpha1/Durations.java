package dev.imcluster.operator.api.v1alpha1;

/** The duration syntax of the CRD, which the broker's config loader also reads (e.g. 1s, 200ms, 1m30s). */
public final class Durations {
    /** One or more number+unit groups; units ms, s, m, h. */
    public static final String PATTERN = "^([0-9]+(ms|s|m|h))+$";
    /** Long enough for any sensible duration; bounds the numbers the broker has to parse. */
    public static final int MAX_LENGTH = 16;
    /** Found in a duration of {@link #PATTERN} exactly when it is positive; CEL rules and SpecValidation use it. */
    public static final String NONZERO = "[1-9]";
    private static final java.util.regex.Pattern NONZERO_DIGIT = java.util.regex.Pattern.compile(NONZERO);

    /** Whether {@code duration}, of {@link #PATTERN}, is longer than zero. */
    public static boolean isPositive(String duration) {
        return NONZERO_DIGIT.matcher(duration).find();
    }

    private Durations() {
    }
}
