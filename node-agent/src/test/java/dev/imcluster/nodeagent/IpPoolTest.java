package dev.imcluster.nodeagent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class IpPoolTest {
    @Test
    void addressesAreUniqueAndReusedLowestFirst() {
        IpPool pool = new IpPool("127.0.0.");
        String a = pool.take();
        String b = pool.take();
        assertThat(a).isEqualTo("127.0.0.10");
        assertThat(b).isEqualTo("127.0.0.11");
        pool.give(a);
        assertThat(pool.take()).isEqualTo("127.0.0.10");
    }

    @Test
    void anEmptyPoolSaysSo() {
        IpPool pool = new IpPool("127.9.0.");
        for (int i = 10; i <= 250; i++) {
            pool.take();
        }
        assertThatThrownBy(pool::take).hasMessageContaining("no free pod address");
    }
}
