package dev.imcluster.operator;

/** Entry point of the imcluster operator (filled in by the operator issue). */
public final class OperatorMain {
    private OperatorMain() {
    }

    public static void main(String[] args) {
        System.out.println("imcluster operator: not implemented yet");
    }
}
