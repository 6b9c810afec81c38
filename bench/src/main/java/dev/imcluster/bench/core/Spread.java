package dev.imcluster.bench.core;

import java.util.Arrays;
import java.util.Locale;

/** The median of several rounds' figures with their minimum and maximum. */
public record Spread(double median, double min, double max) {
    /** Of at least one value; the median of an even count is the mean of the middle two. */
    public static Spread of(double... values) {
        if (values.length == 0) {
            return new Spread(0, 0, 0);
        }
        double[] v = values.clone();
        Arrays.sort(v);
        int n = v.length;
        double median = n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
        return new Spread(median, v[0], v[n - 1]);
    }

    /** "median (min–max)", each with {@code format}, e.g. "%.0f". */
    public String format(String format) {
        return String.format(Locale.ROOT, format + " (" + format + "–" + format + ")", median, min, max);
    }
}
