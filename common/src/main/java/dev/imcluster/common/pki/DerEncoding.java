package dev.imcluster.common.pki;

import java.io.ByteArrayOutputStream;

/**
 * Writes DER (ASN.1's distinguished encoding) element by element: what the JDK reads (certificates, PKCS#8 keys) but
 * has no public API to write. The operator makes its internal CA's certificates with it, the broker wraps PKCS#1 and
 * SEC1 keys into PKCS#8.
 */
public final class DerEncoding {
    private DerEncoding() {
    }

    /** One element: its tag, its length (short form below 128 bytes, long form above) and its content. */
    public static byte[] tlv(int tag, byte[] content) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(tag);
        int n = content.length;
        if (n < 0x80) {
            out.write(n);
        } else {
            int bytes = n > 0xffffff ? 4 : n > 0xffff ? 3 : n > 0xff ? 2 : 1;
            out.write(0x80 | bytes);
            for (int i = bytes - 1; i >= 0; i--) {
                out.write(n >>> (8 * i));
            }
        }
        out.writeBytes(content);
        return out.toByteArray();
    }

    /** A SEQUENCE of the given encoded elements, in order. */
    public static byte[] sequence(byte[]... elements) {
        return tlv(0x30, concat(elements));
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    /** An OBJECT IDENTIFIER element from its arcs, e.g. {@code oid(2, 5, 4, 3)} for commonName. */
    public static byte[] oid(int... arcs) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(arcs[0] * 40 + arcs[1]);
        for (int i = 2; i < arcs.length; i++) {
            int v = arcs[i];
            int shift = 28;
            while (shift > 0 && (v >>> shift) == 0) {
                shift -= 7;
            }
            for (; shift > 0; shift -= 7) {
                out.write(0x80 | ((v >>> shift) & 0x7f));
            }
            out.write(v & 0x7f);
        }
        return tlv(0x06, out.toByteArray());
    }
}
