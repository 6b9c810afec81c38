package dev.imcluster.broker.mq.kafka;

import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.Base64;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

/** The certificate authorities the JVM trusts by default (its cacerts), as PEM for a kafka-clients PEM trust store. */
final class JvmTrustedCertificates {
    /** Read once, on first use (the holder class loads then). */
    private static final class Holder {
        static final String PEM = read();
    }

    private JvmTrustedCertificates() {
    }

    static String pem() {
        return Holder.PEM;
    }

    private static String read() {
        try {
            TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            factory.init((KeyStore) null);
            Base64.Encoder base64 = Base64.getMimeEncoder(64, new byte[] {'\n'});
            StringBuilder out = new StringBuilder();
            for (TrustManager tm : factory.getTrustManagers()) {
                if (tm instanceof X509TrustManager x509) {
                    for (X509Certificate ca : x509.getAcceptedIssuers()) {
                        out.append("\n-----BEGIN CERTIFICATE-----\n").append(base64.encodeToString(ca.getEncoded()))
                                .append("\n-----END CERTIFICATE-----\n");
                    }
                }
            }
            return out.toString();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot read the JVM's default trusted certificates: " + e, e);
        }
    }
}
