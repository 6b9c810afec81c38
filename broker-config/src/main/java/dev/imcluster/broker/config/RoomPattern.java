package dev.imcluster.broker.config;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/** A room pattern of the delivery section: the full room id, {@code *} matching any run of characters. */
public final class RoomPattern {
    private RoomPattern() {
    }

    /** {@code *} matches any run of characters; everything else is literal. */
    public static Pattern glob(String pattern) {
        List<String> literal = new ArrayList<>();
        for (String part : pattern.split("\\*", -1)) {
            literal.add(Pattern.quote(part));
        }
        return Pattern.compile(String.join(".*", literal), Pattern.DOTALL);
    }
}
