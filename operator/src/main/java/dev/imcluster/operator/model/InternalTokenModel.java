package dev.imcluster.operator.model;

import dev.imcluster.operator.api.v1alpha1.PubSubCluster;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;

import java.security.SecureRandom;
import java.util.HexFormat;

/** The generated internal token Secret (when spec.auth.internalTokenSecretRef is unset). */
public final class InternalTokenModel {
    /** The key of the token in its Secret (also the default key of a referenced one). */
    public static final String KEY = "token";

    private InternalTokenModel() {
    }

    /** 32 random bytes, hex: 64 printable characters, well above the broker's minimum of 16. */
    public static String newToken(SecureRandom random) {
        byte[] b = new byte[32];
        random.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    public static Secret secret(PubSubCluster c, String token) {
        return new SecretBuilder()
                .withNewMetadata()
                    .withName(Names.internalToken(c))
                    .withNamespace(c.getMetadata().getNamespace())
                    .withLabels(Labels.all(c, "broker"))
                .endMetadata()
                .withType("Opaque")
                .addToStringData(KEY, token)
                .build();
    }
}
