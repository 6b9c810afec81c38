package dev.imcluster.broker.logging;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class RateLimitedLogTest {

    @Test
    void logsABurstPerPeriodThenSaysHowManyItLeftOut() throws Exception {
        Logger logger = (Logger) LoggerFactory.getLogger("rate-limited-log-test");
        ListAppender<ILoggingEvent> lines = new ListAppender<>();
        lines.start();
        logger.addAppender(lines);
        RateLimitedLog log = new RateLimitedLog(logger, 2, 200, TimeUnit.MILLISECONDS);

        for (int i = 0; i < 5; i++) {
            log.warn("client {} misbehaved", i);
        }
        assertThat(lines.list).extracting(ILoggingEvent::getFormattedMessage)
                .containsExactly("client 0 misbehaved", "client 1 misbehaved");

        org.awaitility.Awaitility.await().pollInterval(java.time.Duration.ofMillis(50)).untilAsserted(() -> {
            log.warn("client {} misbehaved", 9);
            assertThat(lines.list).extracting(ILoggingEvent::getFormattedMessage)
                    .anyMatch(m -> m.matches("client 9 misbehaved \\(\\d+ similar messages suppressed before this one\\)"));
        });
    }
}
