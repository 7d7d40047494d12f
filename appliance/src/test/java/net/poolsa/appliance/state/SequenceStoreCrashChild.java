package net.poolsa.appliance.state;

import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;

import net.poolsa.esp.replay.OutboundSequence;
import net.poolsa.esp.sa.SecurityAssociation;

/**
 * The process {@link SequenceStoreTest} kills with SIGKILL: opens the store in {@code args[0]}, attaches an
 * outbound SA with key seed 7, and takes sequence numbers as fast as it can, writing each one it got into the
 * shared memory of {@code args[1]} (a MAP_SHARED page survives the kill) before taking the next.
 */
public final class SequenceStoreCrashChild {
    private SequenceStoreCrashChild() {
    }

    public static void main(String[] args) throws Exception {
        SequenceStore store = SequenceStore.open(Path.of(args[0]),
                new SequenceStore.Tuning(64, 0.05, Duration.ofMillis(2), Duration.ofSeconds(1), Duration.ofDays(30)),
                System::nanoTime, () -> System.currentTimeMillis() / 1000);
        SecurityAssociation sa = StateSas.out(0x5001, 7);
        OutboundSequence seq = StateSas.ctx(sa).outbound();
        store.attach(sa, StateSas.ctx(sa));
        store.start();
        try (FileChannel ch = FileChannel.open(Path.of(args[1]), StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            MappedByteBuffer last = ch.map(FileChannel.MapMode.READ_WRITE, 0, 8);
            while (true) {
                long n = seq.next();
                if (n != OutboundSequence.EXHAUSTED) {
                    last.putLong(0, n);
                } else {
                    Thread.onSpinWait();
                }
            }
        }
    }
}
