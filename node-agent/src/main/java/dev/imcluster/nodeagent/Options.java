package dev.imcluster.nodeagent;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/** The command line: {@code --kubeconfig FILE --state DIR --broker-jar JAR [--node-name N] [--ip-base 127.0.0.]}. */
record Options(Path kubeconfig, Path state, Path brokerJar, String nodeName, String ipBase, List<String> jvmOpts) {
    static final String USAGE = "usage: java -jar imcluster-node-agent.jar --kubeconfig FILE --state DIR --broker-jar JAR"
            + " [--node-name imcluster-local-node] [--ip-base 127.0.0.] [--jvm-opts '-Xmx256m ...']";
    // Small broker JVMs: many of them share this machine.
    static final String DEFAULT_JVM_OPTS = "-Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1";

    static Options parse(String[] args, String kubeconfigEnv) {
        String kubeconfig = kubeconfigEnv;
        String state = null;
        String jar = null;
        String node = "imcluster-local-node";
        String ipBase = "127.0.0.";
        String jvmOpts = DEFAULT_JVM_OPTS;
        for (int i = 0; i < args.length; i++) {
            String flag = args[i];
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException(flag + " needs a value; " + USAGE);
            }
            String value = args[++i];
            switch (flag) {
                case "--kubeconfig" -> kubeconfig = value;
                case "--state" -> state = value;
                case "--broker-jar" -> jar = value;
                case "--node-name" -> node = value;
                case "--ip-base" -> ipBase = value;
                case "--jvm-opts" -> jvmOpts = value;
                default -> throw new IllegalArgumentException("unknown option " + flag + "; " + USAGE);
            }
        }
        if (kubeconfig == null || kubeconfig.isEmpty() || state == null || jar == null) {
            throw new IllegalArgumentException("--kubeconfig (or KUBECONFIG), --state and --broker-jar are required; "
                    + USAGE);
        }
        if (!ipBase.matches("(\\d{1,3}\\.){3}")) {
            throw new IllegalArgumentException("--ip-base must be three octets and a dot, like 127.0.0.; got " + ipBase);
        }
        return new Options(Path.of(kubeconfig).toAbsolutePath(), Path.of(state).toAbsolutePath(),
                Path.of(jar).toAbsolutePath(), node, ipBase,
                Arrays.stream(jvmOpts.trim().split("\\s+")).filter(s -> !s.isEmpty()).toList());
    }
}
