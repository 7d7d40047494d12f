package net.poolsa.bench.sad;

import java.util.Random;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

import net.poolsa.bench.sad.baseline.PerAddressSpd;
import net.poolsa.bench.sad.baseline.Rfc3554ListSpd;
import net.poolsa.esp.sa.AddressPool;
import net.poolsa.esp.sa.Direction;
import net.poolsa.esp.sa.TrafficSelector;
import net.poolsa.esp.sad.SecurityAssociationDatabase;
import net.poolsa.esp.spd.InstalledPolicy;
import net.poolsa.esp.spd.SecurityPolicy;
import net.poolsa.esp.spd.SecurityPolicyDatabase;

/**
 * Outbound classification: which policy covers (src, dst, proto, ports). {@code sas} policies, each
 * PROTECTing a disjoint destination pool of {@code addresses} addresses; packets go to random addresses of
 * random pools. Batched like {@link InboundLookupBenchmark}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms12g", "-Xmx12g", "-XX:+UseParallelGC", "-XX:+UseTransparentHugePages"})
public class OutboundClassifyBenchmark {
    static final int BATCH = 1024;
    static final int PROBES = 1 << 20; // more distinct packets than cache lines: lookups really miss
    static final int SOURCE = 0xCB007105; // 203.0.113.5

    @Param({"pool"})
    public String representation;
    @Param({"16"})
    public int addresses;
    @Param({"scattered"})
    public String shape;
    @Param({"1000"})
    public int sas;

    private SecurityPolicyDatabase spd;
    private Rfc3554ListSpd listSpd;
    private PerAddressSpd perAddressSpd;
    private int[] dst;
    private int cursor;

    @Setup(Level.Trial)
    public void build() {
        Workload w = new Workload(addresses, shape, sas);
        Object structure = build(w, representation);
        if (structure instanceof SecurityPolicyDatabase) {
            spd = (SecurityPolicyDatabase) structure;
        } else if (structure instanceof Rfc3554ListSpd) {
            listSpd = (Rfc3554ListSpd) structure;
        } else {
            perAddressSpd = (PerAddressSpd) structure;
        }
        Random r = new Random(42);
        dst = new int[PROBES];
        for (int p = 0; p < PROBES; p++) {
            dst[p] = w.randomAddress(r, Workload.OUTBOUND_BASE, r.nextInt(sas));
        }
        for (int p = 0; p < PROBES; p++) {
            if (classify(p) == null) {
                throw new IllegalStateException("probe " + p + " matched no policy in " + representation);
            }
        }
    }

    static Object build(Workload w, String rep) {
        switch (rep) {
            case "pool": {
                SecurityPolicyDatabase db = new SecurityPolicyDatabase(new SecurityAssociationDatabase());
                db.update(b -> {
                    for (int i = 0; i < w.sas; i++) {
                        b.add(SecurityPolicy.protect("p" + i, TrafficSelector.between(AddressPool.ANY_V4,
                                Workload.pool(w.ranges(Workload.OUTBOUND_BASE, i))), i + 1));
                    }
                });
                return db;
            }
            case "list": {
                Rfc3554ListSpd db = new Rfc3554ListSpd(w.sas);
                for (int i = 0; i < w.sas; i++) {
                    db.add(w.ranges(Workload.OUTBOUND_BASE, i));
                }
                return db;
            }
            case "per-address": {
                PerAddressSpd db = new PerAddressSpd((long) w.sas * w.addresses);
                for (int i = 0; i < w.sas; i++) {
                    db.add(i, w.ranges(Workload.OUTBOUND_BASE, i));
                }
                return db;
            }
            default:
                throw new IllegalArgumentException("representation is pool, list or per-address, not " + rep);
        }
    }

    private Object classify(int p) {
        if (spd != null) {
            InstalledPolicy ip = spd.classifyV4(Direction.OUTBOUND, SOURCE, dst[p], 6, 40000, 443);
            return ip;
        }
        int idx = listSpd != null ? listSpd.classify(SOURCE, dst[p]) : perAddressSpd.classify(SOURCE, dst[p]);
        return idx < 0 ? null : Boolean.TRUE;
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void classify(Blackhole bh) {
        int c = cursor;
        for (int k = 0; k < BATCH; k++) {
            bh.consume(classify(c));
            c = (c + 1) & (PROBES - 1);
        }
        cursor = c;
    }
}
