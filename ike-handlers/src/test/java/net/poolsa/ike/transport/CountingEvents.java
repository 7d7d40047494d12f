package net.poolsa.ike.transport;

import java.util.concurrent.atomic.AtomicLongArray;

/** Counts transport events per role and reason; written on the event loop, read by the test thread. */
final class CountingEvents implements TransportEvents {
    private final AtomicLongArray reads = new AtomicLongArray(PortRole.values().length);
    private final AtomicLongArray sent = new AtomicLongArray(PortRole.values().length);
    private final AtomicLongArray drops = new AtomicLongArray(PortRole.values().length * TransportDropReason.values().length);
    private final AtomicLongArray keepalives = new AtomicLongArray(2);

    @Override
    public void read(PortRole role) {
        reads.incrementAndGet(role.ordinal());
    }

    @Override
    public void dropped(PortRole role, TransportDropReason reason) {
        drops.incrementAndGet(role.ordinal() * TransportDropReason.values().length + reason.ordinal());
    }

    @Override
    public void keepalive() {
        keepalives.incrementAndGet(0);
    }

    @Override
    public void keepaliveSent() {
        keepalives.incrementAndGet(1);
    }

    @Override
    public void sent(PortRole role) {
        sent.incrementAndGet(role.ordinal());
    }

    long reads(PortRole role) {
        return reads.get(role.ordinal());
    }

    long sentCount(PortRole role) {
        return sent.get(role.ordinal());
    }

    long drops(PortRole role, TransportDropReason reason) {
        return drops.get(role.ordinal() * TransportDropReason.values().length + reason.ordinal());
    }

    long drops(PortRole role) {
        long n = 0;
        for (TransportDropReason r : TransportDropReason.values()) {
            n += drops(role, r);
        }
        return n;
    }

    /**
     * The counter once it reached {@code expected} (or after five seconds): future listeners run on the event
     * loop after the waiter of the future has woken, so a counter can lag behind what the test saw.
     */
    static long settled(java.util.function.LongSupplier counter, long expected) throws InterruptedException {
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (counter.getAsLong() < expected && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        return counter.getAsLong();
    }

    long keepalives() {
        return keepalives.get(0);
    }

    long keepalivesSent() {
        return keepalives.get(1);
    }
}
