package dev.imcluster.broker.comet;

import java.util.Arrays;
import java.util.List;

/**
 * The operations one connection accepts for key pushes and broadcasts (goim's watch ops): set by logic's
 * Connect reply, changed by the client's Sub (op 14) and Unsub (op 16) frames, whose body is a comma-separated
 * list of operations. Written on the event loop, read by any fan-out thread.
 */
final class OperationWatch {
    private static final int[] NO_OPS = new int[0];

    /** Sorted and distinct, so that {@link #accepts} is a binary search. */
    private volatile int[] accepts = NO_OPS;

    /** True when key pushes and broadcasts of this operation reach this connection (goim's NeedPush). */
    boolean accepts(int op) {
        return Arrays.binarySearch(accepts, op) >= 0;
    }

    /** The operations logic's Connect reply lists. */
    void set(List<Integer> ops) {
        accepts = normalize(ops.stream().mapToInt(Integer::intValue).toArray());
    }

    /** Sub: adds the body's operations; a body that does not parse changes nothing (as in goim). */
    void watch(String body) {
        int[] ops = parseOps(body);
        if (ops != null) {
            accepts = normalize(concat(accepts, ops));
        }
    }

    /** Unsub: removes the body's operations; a body that does not parse changes nothing (as in goim). */
    void unwatch(String body) {
        int[] ops = parseOps(body);
        if (ops != null) {
            accepts = Arrays.stream(accepts).filter(op -> Arrays.stream(ops).noneMatch(o -> o == op)).toArray();
        }
    }

    static int[] parseOps(String body) {
        String[] parts = body.split(",");
        int[] ops = new int[parts.length];
        try {
            for (int i = 0; i < parts.length; i++) {
                ops[i] = Integer.parseInt(parts[i].trim());
            }
        } catch (NumberFormatException e) {
            return null; // goim ignores a list it cannot parse
        }
        return ops;
    }

    private static int[] concat(int[] a, int[] b) {
        int[] c = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    private static int[] normalize(int[] ops) {
        return Arrays.stream(ops).sorted().distinct().toArray();
    }
}
