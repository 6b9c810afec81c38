package dev.imcluster.operator;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.OutputStreamAppender;
import ch.qos.logback.core.encoder.Encoder;
import ch.qos.logback.core.status.Status;
import org.junit.jupiter.api.Test;

import java.net.URL;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The production logback.xml: JSON lines by default, readable text with IMCLUSTER_LOG_FORMAT=text (what the chart's
 * logging.json=false sets). Configured here from the file itself, in a context of its own (the tests log through
 * logback-test.xml).
 */
class LoggingConfigTest {
    private static final Path CONFIG = Path.of(System.getProperty("imcluster.repoRoot", ".."))
            .resolve("operator/src/main/resources/logback.xml");

    @Test
    void jsonByDefault() throws Exception {
        Encoder<ILoggingEvent> encoder = rootEncoder(null);
        assertThat(encoder).isInstanceOf(JsonEncoder.class);
    }

    @Test
    void jsonWhenAskedFor() throws Exception {
        assertThat(rootEncoder("json")).isInstanceOf(JsonEncoder.class);
    }

    @Test
    void textWhenAskedFor() throws Exception {
        assertThat(rootEncoder("text")).isInstanceOf(PatternLayoutEncoder.class);
    }

    private static Encoder<ILoggingEvent> rootEncoder(String format) throws Exception {
        String before = System.getProperty("IMCLUSTER_LOG_FORMAT");
        try {
            if (format == null) {
                System.clearProperty("IMCLUSTER_LOG_FORMAT");
            } else {
                System.setProperty("IMCLUSTER_LOG_FORMAT", format);
            }
            LoggerContext context = new LoggerContext();
            JoranConfigurator configurator = new JoranConfigurator();
            configurator.setContext(context);
            URL url = CONFIG.toUri().toURL();
            configurator.doConfigure(url);
            List<String> errors = new ArrayList<>();
            for (Status s : context.getStatusManager().getCopyOfStatusList()) {
                if (s.getLevel() >= Status.WARN) {
                    errors.add(s.toString());
                }
            }
            assertThat(errors).as("logback status warnings/errors").isEmpty();
            Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
            List<Appender<ILoggingEvent>> appenders = new ArrayList<>();
            for (Iterator<Appender<ILoggingEvent>> it = root.iteratorForAppenders(); it.hasNext(); ) {
                appenders.add(it.next());
            }
            assertThat(appenders).hasSize(1);
            assertThat(appenders.get(0).isStarted()).isTrue();
            Encoder<ILoggingEvent> encoder = ((OutputStreamAppender<ILoggingEvent>) appenders.get(0)).getEncoder();
            context.stop();
            return encoder;
        } finally {
            if (before == null) {
                System.clearProperty("IMCLUSTER_LOG_FORMAT");
            } else {
                System.setProperty("IMCLUSTER_LOG_FORMAT", before);
            }
        }
    }
}
