package dev.imcluster.broker.comet;

import io.netty.handler.ssl.NotSslRecordException;
import javax.net.ssl.SSLException;

/** A client connection's failed TLS (comet.tls), as the TLS handler raises it: a decoding error. */
final class TlsFailure {
    private TlsFailure() {
    }

    /**
     * Why TLS failed, for a log line, or null when {@code cause} is no TLS failure. A record that is not TLS is only
     * named: Netty's message dumps the record, which may hold a plaintext client's token.
     */
    static String describe(Throwable cause) {
        for (Throwable t = cause; t != null; t = t.getCause()) {
            if (t instanceof NotSslRecordException) {
                return "not a TLS record (a plaintext client?)";
            }
            if (t instanceof SSLException) {
                return t.getMessage();
            }
        }
        return null;
    }
}
