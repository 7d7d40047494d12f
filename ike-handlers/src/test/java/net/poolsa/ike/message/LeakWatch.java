package net.poolsa.ike.message;

import io.netty.buffer.AbstractByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.util.ResourceLeakDetector;

import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Makes a ByteBuf leak fail a test instead of only being logged: listens on Netty's ByteBuf leak detector
 * (paranoid, so every buffer is tracked) and, on {@link #leaks()}, collects garbage and lets the detector
 * report what was dropped unreleased. Netty reports only when ERROR logging is on, which the slf4j-simple
 * test binding provides.
 */
final class LeakWatch implements AutoCloseable {
    private final ResourceLeakDetector<?> detector;
    private final List<String> leaks = Collections.synchronizedList(new ArrayList<>());
    private final ResourceLeakDetector.Level previous;

    private LeakWatch(ResourceLeakDetector<?> detector) {
        this.detector = detector;
        this.previous = ResourceLeakDetector.getLevel();
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
        detector.setLeakListener((type, records) -> leaks.add(type + ": " + records));
    }

    static LeakWatch start() throws ReflectiveOperationException {
        Field f = AbstractByteBuf.class.getDeclaredField("leakDetector");
        f.setAccessible(true);
        return new LeakWatch((ResourceLeakDetector<?>) f.get(null));
    }

    /** Leaks reported after {@code rounds} garbage collections, each followed by allocations that poll the detector. */
    List<String> leaks(int rounds) throws InterruptedException {
        for (int i = 0; i < rounds; i++) {
            System.gc();
            Thread.sleep(10);
            for (int j = 0; j < 16; j++) {
                PooledByteBufAllocator.DEFAULT.directBuffer(1).release();
            }
        }
        return new ArrayList<>(leaks);
    }

    @Override
    public void close() {
        detector.setLeakListener(null);
        ResourceLeakDetector.setLevel(previous);
    }
}
