package dev.imcluster.broker.security;

import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * A trust manager whose CA bundle can be swapped, the trusting half of {@link ReloadingKeyManager}: each
 * handshake checks the peer against the current bundle (the JDK's PKIX checks, and the host name where the
 * engine asks for it), so after {@link #update} new connections are judged by the new CAs and established ones
 * stay. Every refusal is reported to {@link Refusals} before it is thrown.
 */
final class ReloadingTrustManager extends X509ExtendedTrustManager {

    /**
     * Told of each refused peer: {@code client} (a caller of our server) or {@code server} (one we dialed), with
     * its address where the handshake knows it (else null).
     */
    interface Refusals {
        void refused(String peer, CertificateException cause, String address);
    }

    private final Refusals refusals;
    private volatile X509ExtendedTrustManager current;

    ReloadingTrustManager(List<X509Certificate> authorities, Refusals refusals) {
        this.refusals = refusals;
        update(authorities);
    }

    void update(List<X509Certificate> authorities) {
        try {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            for (int i = 0; i < authorities.size(); i++) {
                store.setCertificateEntry("ca-" + i, authorities.get(i));
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(store);
            for (TrustManager tm : tmf.getTrustManagers()) {
                if (tm instanceof X509ExtendedTrustManager x) {
                    current = x;
                    return;
                }
            }
            throw new IllegalArgumentException("the JDK offers no X509ExtendedTrustManager");
        } catch (GeneralSecurityException | java.io.IOException e) {
            throw new IllegalArgumentException("cannot build a trust manager: " + e.getMessage(), e);
        }
    }

    /** What kind of refusal {@code e} is, for the metric: expired, not_yet_valid, wrong_name or untrusted. */
    static String reason(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof java.security.cert.CertificateExpiredException) {
                return "expired";
            }
            if (t instanceof java.security.cert.CertificateNotYetValidException) {
                return "not_yet_valid";
            }
            String m = String.valueOf(t.getMessage());
            if (m.startsWith("No subject alternative") || m.startsWith("No name matching")) {
                return "wrong_name";
            }
        }
        return "untrusted";
    }

    private static String address(SSLEngine engine) {
        if (engine == null || engine.getPeerHost() == null) {
            return null;
        }
        return engine.getPeerPort() < 0 ? engine.getPeerHost() : engine.getPeerHost() + ":" + engine.getPeerPort();
    }

    private static String address(Socket socket) {
        return socket == null ? null : String.valueOf(socket.getRemoteSocketAddress());
    }

    /** One trust check of the current manager; a refusal is counted and logged with the peer's address. */
    private interface Check {
        void run() throws CertificateException;
    }

    private void checked(String peer, String address, Check check) throws CertificateException {
        try {
            check.run();
        } catch (CertificateException e) {
            refusals.refused(peer, e, address);
            throw e;
        }
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
            throws CertificateException {
        checked("client", address(engine), () -> current.checkClientTrusted(chain, authType, engine));
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
            throws CertificateException {
        checked("server", address(engine), () -> current.checkServerTrusted(chain, authType, engine));
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
            throws CertificateException {
        checked("client", address(socket), () -> current.checkClientTrusted(chain, authType, socket));
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
            throws CertificateException {
        checked("server", address(socket), () -> current.checkServerTrusted(chain, authType, socket));
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        checkClientTrusted(chain, authType, (SSLEngine) null);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        checkServerTrusted(chain, authType, (SSLEngine) null);
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
        return current.getAcceptedIssuers();
    }
}
