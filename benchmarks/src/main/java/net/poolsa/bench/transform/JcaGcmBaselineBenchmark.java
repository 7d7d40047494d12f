package net.poolsa.bench.transform;

import java.util.concurrent.TimeUnit;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The bare JCA AES-128-GCM seal of {@code size} bytes (init with a fresh nonce, 8-byte AAD, doFinal in place):
 * the floor under {@link EspTransformBenchmark}'s aes128gcm seal, measured in the same run so that the ESP
 * framing overhead is a ratio that the machine's noise mostly cancels out of.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class JcaGcmBaselineBenchmark {
    @Param({"64", "512", "1400", "9000"})
    public int size;

    private Cipher cipher;
    private SecretKeySpec key;
    private byte[] buf;
    private final byte[] nonce = new byte[12];
    private final byte[] aad = new byte[8];
    private long counter;

    @Setup
    public void setUp() throws Exception {
        cipher = Cipher.getInstance("AES/GCM/NoPadding");
        key = new SecretKeySpec(new byte[16], "AES");
        buf = new byte[size + 16];
    }

    @Benchmark
    public int seal() throws Exception {
        long c = ++counter;
        for (int i = 0; i < 8; i++) {
            nonce[4 + i] = (byte) (c >>> (56 - 8 * i));
        }
        cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(128, nonce));
        cipher.updateAAD(aad);
        return cipher.doFinal(buf, 0, size, buf, 0);
    }
}
