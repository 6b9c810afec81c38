package dev.imcluster.operator.model;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The API server's syntax rules for the values a spec passes through into owned objects (names, labels,
 * annotations, quantities). Checked before anything is applied: a value the server would reject on a Deployment
 * would otherwise leave the objects created before it behind, half a cluster.
 */
public final class KubeSyntax {
    /** Object names of Services and everything derived from a cluster name. */
    public static final int DNS_LABEL_MAX = 63;
    /** The API server's limit on all annotations of one object together. */
    public static final int ANNOTATIONS_MAX_BYTES = 256 * 1024;

    private static final Pattern DNS1035_LABEL = Pattern.compile("[a-z]([-a-z0-9]*[a-z0-9])?");
    private static final Pattern DNS1123_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?");
    private static final Pattern QUALIFIED_NAME = Pattern.compile("([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]");
    private static final Pattern LABEL_VALUE = Pattern.compile("(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?");
    /** resource.Quantity's grammar (a sign is allowed by the grammar; callers reject negatives). */
    private static final Pattern QUANTITY = Pattern.compile(
            "[+-]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)(([KMGTPE]i)|[numkMGTPE]|([eE][+-]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)))?");

    private KubeSyntax() {
    }

    /** A DNS-1035 label (Service names): lowercase alphanumerics and '-', starting with a letter, 1..63. */
    public static boolean isDns1035Label(String s) {
        return s != null && s.length() <= DNS_LABEL_MAX && DNS1035_LABEL.matcher(s).matches();
    }

    /** A DNS-1123 label (volume and container names): lowercase alphanumerics and '-', 1..63. */
    public static boolean isDns1123Label(String s) {
        return s != null && s.length() <= DNS_LABEL_MAX && DNS1123_LABEL.matcher(s).matches();
    }

    /** An IPv4 or IPv6 CIDR such as 10.0.0.0/8 or 2001:db8::/32 (the address parsed, no name lookup). */
    public static boolean isCidr(String s) {
        if (s == null) {
            return false;
        }
        int slash = s.indexOf('/');
        if (slash < 1 || slash == s.length() - 1) {
            return false;
        }
        String addr = s.substring(0, slash);
        boolean v6 = addr.contains(":");
        if (!v6 && !addr.matches("[0-9]{1,3}(\\.[0-9]{1,3}){3}")) {
            return false;
        }
        if (v6 && !addr.matches("[0-9A-Fa-f:.]+")) {
            return false;
        }
        int bits;
        try {
            bits = Integer.parseInt(s.substring(slash + 1));
            if (v6) {
                java.net.InetAddress.getByName(addr); // a literal with ':' is parsed, never looked up
            } else {
                for (String octet : addr.split("\\.")) {
                    if (Integer.parseInt(octet) > 255) {
                        return false;
                    }
                }
            }
        } catch (NumberFormatException | java.net.UnknownHostException e) {
            return false;
        }
        return bits >= 0 && bits <= (v6 ? 128 : 32);
    }

    /** A DNS-1123 subdomain (most object names): dot-separated labels, at most 253 characters. */
    public static boolean isDnsSubdomain(String s) {
        if (s == null || s.isEmpty() || s.length() > 253) {
            return false;
        }
        for (String part : s.split("\\.", -1)) {
            if (!DNS1123_LABEL.matcher(part).matches()) {
                return false;
            }
        }
        return true;
    }

    /** A label or annotation key: an optional DNS-subdomain prefix and '/', then a name of at most 63 characters. */
    public static boolean isQualifiedName(String key) {
        if (key == null) {
            return false;
        }
        int slash = key.indexOf('/');
        String name = key;
        if (slash >= 0) {
            if (!isDnsSubdomain(key.substring(0, slash))) {
                return false;
            }
            name = key.substring(slash + 1);
        }
        return !name.isEmpty() && name.length() <= DNS_LABEL_MAX && QUALIFIED_NAME.matcher(name).matches();
    }

    /** A label value: empty, or at most 63 alphanumerics, '-', '_' and '.', starting and ending alphanumeric. */
    public static boolean isLabelValue(String v) {
        return v != null && v.length() <= DNS_LABEL_MAX && LABEL_VALUE.matcher(v).matches();
    }

    /** A resource.Quantity such as 500m, 1Gi or 1e3. */
    public static boolean isQuantity(String q) {
        return q != null && QUANTITY.matcher(q).matches();
    }

    /** Total size of annotations as the API server counts it (keys and values, in bytes). */
    public static long annotationBytes(Map<String, String> annotations) {
        long total = 0;
        for (Map.Entry<String, String> e : annotations.entrySet()) {
            total += e.getKey().getBytes(StandardCharsets.UTF_8).length;
            total += e.getValue() == null ? 0 : e.getValue().getBytes(StandardCharsets.UTF_8).length;
        }
        return total;
    }
}
