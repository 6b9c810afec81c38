package dev.imcluster.operator.reconciler;

import dev.imcluster.operator.model.DeploymentModel;
import dev.imcluster.operator.model.Role;
import io.fabric8.kubernetes.api.model.apps.Deployment;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A new broker image reaches the roles one at a time, in the order they call each other: logic (which comets
 * call), then comet (which job calls), then job. A role gets the new image only once every role before it runs it
 * (rolled out, no old pod left): a caller on the new version never meets a server on the old one, and an image that
 * does not start stops at logic, before any client is disconnected. Every other template change rolls the roles
 * at once, as before.
 */
final class ImageRollout {
    static final List<Role> ORDER = List.of(Role.LOGIC, Role.COMET, Role.JOB);

    private ImageRollout() {
    }

    /**
     * The image each role's Deployment gets now, given the wanted image and the live Deployments (absent or null:
     * not created yet, which takes the wanted image at once).
     */
    static Map<Role, String> images(String wanted, Map<Role, Deployment> live) {
        Role blocker = waitingFor(wanted, live);
        Map<Role, String> images = new EnumMap<>(Role.class);
        for (Role role : ORDER) {
            String running = image(live.get(role));
            boolean held = blocker != null && ORDER.indexOf(role) > ORDER.indexOf(blocker) && running != null;
            images.put(role, held ? running : wanted);
        }
        return images;
    }

    /**
     * The first role in {@link #ORDER} that does not run {@code wanted} yet, which the roles after it wait for; null
     * when none does (or a role is not created yet).
     */
    static Role waitingFor(String wanted, Map<Role, Deployment> live) {
        for (Role role : ORDER) {
            Deployment d = live.get(role);
            if (d != null && !runs(d, wanted)) {
                return role;
            }
        }
        return null;
    }

    /** Every pod of the Deployment runs {@code image}: its template has it, rolled out, no old pod left. */
    static boolean runs(Deployment d, String image) {
        return Objects.equals(image(d), image) && Rollouts.rolledOut(d);
    }

    /** The broker container's image in the Deployment's template, or null. */
    static String image(Deployment d) {
        if (d == null || d.getSpec() == null || d.getSpec().getTemplate() == null
                || d.getSpec().getTemplate().getSpec() == null) {
            return null;
        }
        return d.getSpec().getTemplate().getSpec().getContainers().stream()
                .filter(c -> DeploymentModel.CONTAINER.equals(c.getName())).map(c -> c.getImage())
                .findFirst().orElse(null);
    }

    /** The version an image reference names: its digest, else its tag, else latest; null for null. */
    static String version(String image) {
        if (image == null) {
            return null;
        }
        int digest = image.indexOf('@');
        if (digest >= 0) {
            return image.substring(digest + 1);
        }
        String name = image.substring(image.lastIndexOf('/') + 1); // a registry's :port is before the last '/'
        int tag = name.indexOf(':');
        return tag >= 0 ? name.substring(tag + 1) : "latest";
    }
}
