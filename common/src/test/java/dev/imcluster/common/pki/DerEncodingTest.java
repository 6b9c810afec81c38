package dev.imcluster.common.pki;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class DerEncodingTest {
    private static final HexFormat HEX = HexFormat.of();

    @Test
    void lengthsUseTheShortFormBelow128BytesAndTheLongFormAbove() {
        assertThat(HEX.formatHex(DerEncoding.tlv(0x04, new byte[127]))).startsWith("047f00");
        assertThat(HEX.formatHex(DerEncoding.tlv(0x04, new byte[128]))).startsWith("04818000");
        assertThat(HEX.formatHex(DerEncoding.tlv(0x04, new byte[256]))).startsWith("0482010000");
        assertThat(HEX.formatHex(DerEncoding.tlv(0x04, new byte[0x10000]))).startsWith("048301000000");
    }

    @Test
    void oidsEncodeArcsAbove127InBase128() {
        // rsaEncryption and id-ecPublicKey, as every PKCS#8 key names them
        assertThat(HEX.formatHex(DerEncoding.oid(1, 2, 840, 113549, 1, 1, 1))).isEqualTo("06092a864886f70d010101");
        assertThat(HEX.formatHex(DerEncoding.oid(1, 2, 840, 10045, 2, 1))).isEqualTo("06072a8648ce3d0201");
        assertThat(HEX.formatHex(DerEncoding.oid(2, 5, 4, 3))).isEqualTo("0603550403");
    }

    @Test
    void aSequenceWrapsItsElementsInOrder() {
        byte[] a = DerEncoding.tlv(0x02, new byte[] {1});
        byte[] b = DerEncoding.tlv(0x05, new byte[0]);
        assertThat(HEX.formatHex(DerEncoding.sequence(a, b))).isEqualTo("3005020101" + "0500");
        assertThat(HEX.formatHex(DerEncoding.sequence())).isEqualTo("3000");
    }
}
