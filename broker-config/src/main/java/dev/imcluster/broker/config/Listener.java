package dev.imcluster.broker.config;

/** A listening port; port 0 picks a free one (tests). */
public class Listener {
    public boolean enabled = true;
    public int port;

    public Listener() {
    }

    public Listener(int port) {
        this.port = port;
    }

    public Listener(int port, boolean enabled) {
        this.port = port;
        this.enabled = enabled;
    }
}
