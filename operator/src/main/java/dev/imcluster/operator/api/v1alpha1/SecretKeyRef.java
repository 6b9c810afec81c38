package dev.imcluster.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;

/** A key of a Secret in the cluster's namespace. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class SecretKeyRef {
    @JsonPropertyDescription("Secret name.")
    @Required
    @io.fabric8.generator.annotation.Pattern(Patterns.DNS_SUBDOMAIN)
    @io.fabric8.generator.annotation.Size(max = Patterns.NAME_MAX)
    public String name;

    @JsonPropertyDescription("Key in the Secret; each field documents its default.")
    @io.fabric8.generator.annotation.Pattern(Patterns.SECRET_KEY)
    @io.fabric8.generator.annotation.Size(max = Patterns.NAME_MAX)
    public String key;

    public SecretKeyRef() {
    }

    public SecretKeyRef(String name, String key) {
        this.name = name;
        this.key = key;
    }

    public String keyOr(String fallback) {
        return key == null || key.isBlank() ? fallback : key;
    }
}
