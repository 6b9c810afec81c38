package dev.imcluster.broker.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.imcluster.broker.config.ConfigException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InternalTokenTest {
    @TempDir
    Path dir;

    @Test
    void matchesOnlyTheTokenInTheFileTrimmed() throws Exception {
        Path f = Files.writeString(dir.resolve("token"), "0123456789abcdef0123\n");
        InternalToken t = InternalToken.load(f.toString());
        assertThat(t.matches("0123456789abcdef0123")).isTrue();
        assertThat(t.matches("0123456789abcdef012")).isFalse();
        assertThat(t.matches("")).isFalse();
        assertThat(t.matches(null)).isFalse();
        assertThat(t.toString()).doesNotContain("0123");
        assertThat(InternalToken.load(null)).isNull();
    }

    @Test
    void refusesShortUnreadableOrUnprintableTokens() throws Exception {
        assertThatThrownBy(() -> InternalToken.load(Files.writeString(dir.resolve("short"), "abc").toString()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("at least 16 characters");
        assertThatThrownBy(() -> InternalToken.load(dir.resolve("missing").toString()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("security.internalTokenFile: cannot read");
        assertThatThrownBy(() -> InternalToken.load(Files.writeString(dir.resolve("sp"), "0123456789 abcdef").toString()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("printable ASCII");
    }

    @Test
    void bearerHeaderParsing() {
        assertThat(Bearer.token("Bearer abc")).isEqualTo("abc");
        assertThat(Bearer.token("bearer abc ")).isEqualTo("abc");
        assertThat(Bearer.token("Basic abc")).isNull();
        assertThat(Bearer.token("Bearer ")).isNull();
        assertThat(Bearer.token(null)).isNull();
    }
}
