package dev.imcluster.broker;

import dev.imcluster.broker.config.BrokerConfig;
import dev.imcluster.broker.config.ConfigException;
import dev.imcluster.broker.config.ConfigLoader;
import dev.imcluster.broker.demo.Demo;
import dev.imcluster.broker.process.BrokerProcess;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * {@code java -jar imcluster-broker.jar <comet|logic|job|standalone> [--config FILE] [--demo]}. The config file
 * (YAML, or .properties) may also come from {@code IMCLUSTER_CONFIG}; {@code IMCLUSTER__A__B=value} variables
 * override single keys. A bad configuration or an unknown role exits with code 2 and a message naming the key.
 */
public final class Main {

    public static final int EXIT_USAGE = 2;
    public static final String CONFIG_ENV = "IMCLUSTER_CONFIG";
    static final String USAGE = "usage: imcluster-broker <comet|logic|job|standalone> [--config FILE] [--demo]\n"
            + "  --config FILE   YAML or .properties config (or env " + CONFIG_ENV + ");"
            + " env IMCLUSTER__SECTION__KEY=value overrides one key\n"
            + "  --demo          standalone only: publish and subscribe in-process and print what arrives";

    private Main() {
    }

    /** The parsed command line. */
    record Command(BrokerProcess.Mode mode, Path configFile, boolean demo) {
    }

    /** The outcome of {@link #launch}: an exit code, and the running process when it started. */
    public record Launched(int exitCode, BrokerProcess process, boolean demo) {
    }

    /** Netty's leak detector samples buffers and records touches on the hot path; tests keep Netty's default. */
    static final String LEAK_DETECTION = "io.netty.leakDetection.level";
    /** The JDK's positive DNS cache, in seconds (a security property). */
    static final String DNS_CACHE_TTL = "networkaddress.cache.ttl";

    public static void main(String[] args) throws InterruptedException {
        if (helpRequested(args)) {
            System.out.println(USAGE);
            return;
        }
        // Before any Netty class loads; a -D given by the user wins.
        if (System.getProperty(LEAK_DETECTION) == null) {
            System.setProperty(LEAK_DETECTION, "disabled");
        }
        // Before the first lookup: names of other roles must follow a replaced pod within seconds (PeerChannel),
        // and the JDK caches lookups for 30 s unless told otherwise. A -D or java.security setting wins.
        if (java.security.Security.getProperty(DNS_CACHE_TTL) == null
                && System.getProperty("sun.net.inetaddr.ttl") == null) {
            java.security.Security.setProperty(DNS_CACHE_TTL, "5");
        }
        Launched launched = launch(args, System.getenv(), System.err);
        if (launched.exitCode() != 0) {
            System.exit(launched.exitCode());
        }
        BrokerProcess process = launched.process();
        CountDownLatch stopped = new CountDownLatch(1);
        Demo demo = launched.demo() ? new Demo(process, System.out) : null;
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            if (demo != null) {
                demo.close();
            }
            process.close(); // SIGTERM / Ctrl-C: comet closes its clients first, then logic, job, bus
            stopped.countDown();
        }, "shutdown"));
        if (demo != null) {
            demo.start();
        }
        stopped.await();
    }

    /** Parses, loads the config and starts the process; never exits the JVM (tests call this). */
    public static Launched launch(String[] args, Map<String, String> env, PrintStream err) {
        Command command;
        BrokerConfig config;
        try {
            command = parse(args, env);
            config = ConfigLoader.load(command.configFile(), env, command.mode().configDefaults());
        } catch (ConfigException e) {
            err.println("imcluster-broker: " + e.getMessage());
            err.println(USAGE);
            return new Launched(EXIT_USAGE, null, false);
        }
        try {
            return new Launched(0, BrokerProcess.start(command.mode(), config), command.demo());
        } catch (ConfigException e) {
            err.println("imcluster-broker: " + e.getMessage());
            return new Launched(EXIT_USAGE, null, false);
        } catch (Exception e) {
            err.println("imcluster-broker: failed to start " + command.mode() + ": " + e);
            return new Launched(1, null, false);
        }
    }

    /** {@code -h} or {@code --help} anywhere: print the usage and start nothing. */
    static boolean helpRequested(String[] args) {
        return java.util.Arrays.stream(args).anyMatch(a -> a.equals("-h") || a.equals("--help"));
    }

    static Command parse(String[] args, Map<String, String> env) {
        if (args.length == 0) {
            throw new ConfigException("missing the role");
        }
        BrokerProcess.Mode mode = BrokerProcess.Mode.parse(args[0]);
        String file = env.get(CONFIG_ENV);
        boolean demo = false;
        for (int i = 1; i < args.length; i++) {
            switch (args[i]) {
                case "--config" -> {
                    if (i + 1 >= args.length) {
                        throw new ConfigException("--config needs a file");
                    }
                    file = args[++i];
                }
                case "--demo" -> demo = true;
                default -> {
                    if (args[i].startsWith("--config=")) {
                        file = args[i].substring("--config=".length());
                    } else {
                        throw new ConfigException("unknown argument '" + args[i] + "'");
                    }
                }
            }
        }
        if (demo && mode != BrokerProcess.Mode.standalone) {
            throw new ConfigException("--demo works with standalone only");
        }
        return new Command(mode, file == null || file.isBlank() ? null : Path.of(file), demo);
    }
}
