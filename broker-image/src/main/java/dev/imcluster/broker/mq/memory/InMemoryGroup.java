package dev.imcluster.broker.mq.memory;

import dev.imcluster.broker.api.internal.PushEnvelope;
import dev.imcluster.broker.mq.Envelopes;
import dev.imcluster.broker.mq.MessageBus.EnvelopeHandler;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One consumer group of the {@link InMemoryBus}: its partitions and the members they are spread over. Each
 * partition is a FIFO drained by one task at a time on the bus's executor.
 */
final class InMemoryGroup {
    final InMemoryBus bus;
    final String name;
    final Partition[] partitions = new Partition[InMemoryBus.PARTITIONS];
    final List<Member> members = new ArrayList<>();
    /** Published to the group and not acknowledged yet: the group's lag (imcluster_mq_lag). */
    final AtomicLong pending;
    /** Handed to a member and not acknowledged yet (imcluster_mq_in_flight). */
    final AtomicLong inFlight;

    InMemoryGroup(InMemoryBus bus, String name) {
        this.bus = bus;
        this.name = name;
        this.pending = bus.metrics.lag(name);
        this.pending.set(0);
        this.inFlight = bus.metrics.inFlight(name);
        for (int i = 0; i < InMemoryBus.PARTITIONS; i++) {
            partitions[i] = new Partition(this, i);
        }
    }

    void enqueue(PushEnvelope e) {
        pending.incrementAndGet();
        Partition p = partitions[Math.floorMod(Envelopes.partitionKey(e).hashCode(), InMemoryBus.PARTITIONS)];
        p.add(new Delivery(e));
    }

    void join(Member m) {
        synchronized (this) {
            members.add(m);
        }
        for (Partition p : partitions) {
            p.schedule();
        }
    }

    void leave(Member m) {
        synchronized (this) {
            members.remove(m);
        }
        for (Partition p : partitions) {
            p.schedule();
        }
    }

    synchronized Member owner(Partition p) {
        if (members.isEmpty()) {
            return null;
        }
        return members.get(p.index % members.size());
    }

    static final class Member {
        final EnvelopeHandler handler;

        Member(EnvelopeHandler handler) {
            this.handler = handler;
        }
    }

    private static final class Delivery {
        final PushEnvelope envelope;
        int attempts;

        Delivery(PushEnvelope envelope) {
            this.envelope = envelope;
        }
    }

    /** A FIFO of one group's messages for some partition keys; drained by one task at a time. */
    private final class Partition {
        final InMemoryGroup group;
        final int index;
        final ArrayDeque<Delivery> retries = new ArrayDeque<>();
        final ArrayDeque<Delivery> queue = new ArrayDeque<>();
        int inFlight;
        boolean draining;

        Partition(InMemoryGroup group, int index) {
            this.group = group;
            this.index = index;
        }

        void add(Delivery d) {
            synchronized (this) {
                queue.add(d);
            }
            schedule();
        }

        void schedule() {
            synchronized (this) {
                if (draining || (queue.isEmpty() && retries.isEmpty())) {
                    return;
                }
                draining = true;
            }
            try {
                bus.executor.execute(this::drain);
            } catch (java.util.concurrent.RejectedExecutionException e) {
                synchronized (this) {
                    draining = false; // closed
                }
            }
        }

        private void drain() {
            while (true) {
                Delivery d;
                Member owner = group.owner(this);
                synchronized (this) {
                    if (owner == null || inFlight >= InMemoryBus.MAX_IN_FLIGHT || bus.closed) {
                        draining = false;
                        return;
                    }
                    d = !retries.isEmpty() ? retries.poll() : queue.poll();
                    if (d == null) {
                        draining = false;
                        return;
                    }
                    inFlight++;
                }
                deliver(owner, d);
            }
        }

        private void deliver(Member owner, Delivery d) {
            d.attempts++;
            bus.metrics.consumed();
            group.inFlight.incrementAndGet();
            CompletableFuture<Void> result;
            try {
                result = owner.handler.handle(d.envelope);
                if (result == null) {
                    result = CompletableFuture.failedFuture(new IllegalStateException("handler returned null"));
                }
            } catch (RuntimeException e) {
                result = CompletableFuture.failedFuture(e);
            }
            result.whenComplete((ok, failure) -> {
                Throwable error = failure instanceof java.util.concurrent.CompletionException && failure.getCause() != null
                        ? failure.getCause() : failure;
                synchronized (this) {
                    inFlight--;
                }
                group.inFlight.decrementAndGet();
                if (error == null) {
                    bus.metrics.acked();
                    group.pending.decrementAndGet();
                    schedule();
                } else {
                    retryLater(d, error);
                }
            });
        }

        private void retryLater(Delivery d, Throwable error) {
            bus.metrics.redelivered();
            long backoff = Math.min(InMemoryBus.MAX_BACKOFF.toMillis(),
                    InMemoryBus.MIN_BACKOFF.toMillis() << Math.min(d.attempts - 1, 16));
            bus.retryLog.warn("group " + group.name + ": message " + d.envelope.getMsgId() + " failed (attempt "
                    + d.attempts + "), redelivering in " + backoff + " ms: " + error);
            try {
                bus.executor.schedule(() -> {
                    synchronized (this) {
                        retries.add(d);
                    }
                    schedule();
                }, backoff, TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.RejectedExecutionException closedAlready) {
                // bus closed: the message is lost with the process, as with any in-memory queue
            }
        }
    }
}
