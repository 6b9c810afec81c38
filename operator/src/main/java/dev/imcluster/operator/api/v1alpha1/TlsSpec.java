package dev.imcluster.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;

/** Client-facing TLS on comet. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class TlsSpec {
    @JsonPropertyDescription("A kubernetes.io/tls Secret (tls.crt, tls.key) for comet's client listeners.")
    @Required
    @io.fabric8.generator.annotation.Pattern(Patterns.DNS_SUBDOMAIN)
    @io.fabric8.generator.annotation.Size(max = Patterns.NAME_MAX)
    public String secretName;
}
