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

import net.poolsa.bench.sad.baseline.PerAddressSad;
import net.poolsa.bench.sad.baseline.Rfc3554ListSad;
import net.poolsa.esp.event.DropListener;
import net.poolsa.esp.sa.AddressPool;
import net.poolsa.esp.sa.Direction;
import net.poolsa.esp.sa.SecurityAssociation;
import net.poolsa.esp.sa.TrafficSelector;
import net.poolsa.esp.sad.SecurityAssociationDatabase;

/**
 * Inbound SAD lookup: SPI, then "are the outer source and destination in this SA". One invocation looks up
 * {@link #BATCH} random packets, each to a random SA at a random address of its pool; SampleTime divides by
 * the batch, so the reported median is the median over batches of the mean lookup time. The IPv6 shapes
 * ({@link Workload}) look up IPv6 outer headers, in the pool SAD only.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms12g", "-Xmx12g", "-XX:+UseParallelGC", "-XX:+UseTransparentHugePages"})
public class InboundLookupBenchmark {
    static final int BATCH = 1024;
    static final int PROBES = 1 << 20; // more distinct packets than cache lines: lookups really miss

    @Param({"pool"})
    public String representation;
    @Param({"16"})
    public int addresses;
    @Param({"prefix"})
    public String shape;
    @Param({"1000"})
    public int sas;

    private SecurityAssociationDatabase poolSad;
    private Rfc3554ListSad listSad;
    private PerAddressSad perAddressSad;
    private boolean v6;
    private int[] spi;
    private int[] src;
    private int[] dst;
    private long[] srcHi;
    private long[] srcLo;
    private long[] dstHi;
    private long[] dstLo;
    private int cursor;

    @Setup(Level.Trial)
    public void build() {
        Workload w = new Workload(addresses, shape, sas);
        int[] spiOf = new int[sas];
        Object structure = build(w, representation, spiOf);
        if (structure instanceof SecurityAssociationDatabase) {
            poolSad = (SecurityAssociationDatabase) structure;
        } else if (structure instanceof Rfc3554ListSad) {
            listSad = (Rfc3554ListSad) structure;
        } else {
            perAddressSad = (PerAddressSad) structure;
        }
        Random r = new Random(42);
        v6 = w.v6;
        spi = new int[PROBES];
        if (v6) {
            srcHi = new long[PROBES];
            srcLo = new long[PROBES];
            dstHi = new long[PROBES];
            dstLo = new long[PROBES];
        } else {
            src = new int[PROBES];
            dst = new int[PROBES];
        }
        for (int p = 0; p < PROBES; p++) {
            int i = r.nextInt(sas);
            spi[p] = spiOf[i];
            if (v6) {
                srcHi[p] = w.remoteV6(i);
                srcLo[p] = r.nextLong();
                dstHi[p] = w.randomElement(r, Workload.INBOUND_BASE_V6, i);
                dstLo[p] = r.nextLong();
            } else {
                src[p] = (int) w.remote(i);
                dst[p] = w.randomAddress(r, Workload.INBOUND_BASE, i);
            }
        }
        // Every probe must hit: a benchmark of misses would measure nothing.
        for (int p = 0; p < PROBES; p++) {
            if (lookup(p) == null) {
                throw new IllegalStateException("probe " + p + " missed in " + representation);
            }
        }
    }

    /** Builds the inbound structure of {@code rep} for the workload (also used to measure memory). */
    static Object build(Workload w, String rep) {
        return build(w, rep, new int[w.sas]);
    }

    /**
     * As above, and writes the SPI of SA {@code i} to {@code spiOf[i]}. The pool SAD allocates its SPIs for
     * the SA's pools, as poolsa does for every inbound SA it negotiates (the receiver chooses the SPI); the
     * baselines use sequential SPIs, which their hashes spread like random ones (Linux picks random SPIs too).
     */
    static Object build(Workload w, String rep, int[] spiOf) {
        TrafficSelector ts = TrafficSelector.between(AddressPool.ANY_V4, AddressPool.ANY_V4);
        if (w.v6 && !rep.equals("pool")) {
            throw new IllegalArgumentException("the " + rep + " baseline holds IPv4 addresses only");
        }
        switch (rep) {
            case "pool": {
                SecurityAssociationDatabase sad = new SecurityAssociationDatabase();
                for (int i = 0; i < w.sas; i++) {
                    AddressPool local = w.localPool(i);
                    AddressPool remote = w.remotePool(i);
                    spiOf[i] = sad.allocateSpi(local, remote);
                    sad.install(SecurityAssociation.builder().spi(spiOf[i]).direction(Direction.INBOUND).reqid(1)
                            .localOuter(local).remoteOuter(remote).selector(ts).keys(Workload.keys(i)).build());
                }
                return sad;
            }
            case "list": {
                Rfc3554ListSad sad = new Rfc3554ListSad(w.sas);
                for (int i = 0; i < w.sas; i++) {
                    spiOf[i] = Workload.SPI_BASE + i;
                    sad.add(spiOf[i], w.ranges(Workload.INBOUND_BASE, i), Workload.single(w.remote(i)), ts, Workload.keys(i));
                }
                return sad;
            }
            case "per-address": {
                PerAddressSad sad = new PerAddressSad((long) w.sas * w.addresses);
                for (int i = 0; i < w.sas; i++) {
                    spiOf[i] = Workload.SPI_BASE + i;
                    sad.add(spiOf[i], w.ranges(Workload.INBOUND_BASE, i), Workload.single(w.remote(i)), ts, Workload.keys(i));
                }
                return sad;
            }
            default:
                throw new IllegalArgumentException("representation is pool, list or per-address, not " + rep);
        }
    }

    private Object lookup(int p) {
        if (v6) {
            return poolSad.lookupInboundV6(spi[p], 50, srcHi[p], srcLo[p], dstHi[p], dstLo[p], DropListener.NONE);
        }
        if (poolSad != null) {
            return poolSad.lookupInboundV4(spi[p], 50, src[p], dst[p], DropListener.NONE);
        }
        if (listSad != null) {
            return listSad.lookup(spi[p], src[p], dst[p]);
        }
        return perAddressSad.lookup(spi[p], src[p], dst[p]);
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void lookup(Blackhole bh) {
        int c = cursor;
        for (int k = 0; k < BATCH; k++) {
            bh.consume(lookup(c));
            c = (c + 1) & (PROBES - 1);
        }
        cursor = c;
    }
}
