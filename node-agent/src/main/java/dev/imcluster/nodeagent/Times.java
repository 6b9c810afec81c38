package dev.imcluster.nodeagent;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/** The API's time formats: RFC 3339 in seconds (Time) and in microseconds (MicroTime, a Lease's renewTime). */
final class Times {
    private static final DateTimeFormatter SECONDS = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss'Z'")
            .withZone(ZoneOffset.UTC);
    private static final DateTimeFormatter MICROS = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSS'Z'")
            .withZone(ZoneOffset.UTC);

    private Times() {
    }

    static String now() {
        return SECONDS.format(Instant.now());
    }

    static String nowMicros() {
        return MICROS.format(Instant.now());
    }
}
