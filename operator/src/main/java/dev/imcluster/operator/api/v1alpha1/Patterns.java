package dev.imcluster.operator.api.v1alpha1;

/**
 * Schema patterns shared by several fields. The API server enforces OpenAPI patterns and lengths on every version,
 * so values that would break an owned object are refused at {@code kubectl apply}, before the operator sees them.
 */
public final class Patterns {
    /** Object names (Secrets, PriorityClasses): a DNS-1123 subdomain; with {@link #NAME_MAX}. */
    public static final String DNS_SUBDOMAIN = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$";
    public static final int NAME_MAX = 253;
    /** Keys of a Secret's data. */
    public static final String SECRET_KEY = "^[-._a-zA-Z0-9]+$";
    /** A non-negative resource.Quantity, such as 1Gi or 500M. */
    public static final String QUANTITY = "^([0-9]+(\\.[0-9]*)?|\\.[0-9]+)(([KMGTPE]i)|[numkMGTPE]|([eE][0-9]+))?$";
    /** A container image reference: no whitespace, no shell or YAML metacharacters. */
    public static final String IMAGE = "^[a-zA-Z0-9][a-zA-Z0-9._/:@-]*$";
    public static final int IMAGE_MAX = 512;
    /** Comma-separated host:port (a space after the comma allowed). */
    public static final String HOST_PORT_LIST = "^[^\\s,]+:[0-9]{1,5}(, ?[^\\s,]+:[0-9]{1,5})*$";
    /** Most pods any role may ask for: far above any real cluster, and keeps values in an int32. */
    public static final int MAX_REPLICAS = 1000;

    private Patterns() {
    }
}
