package net.poolsa.esp.netns;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;

import net.poolsa.esp.event.DataPathListener;
import net.poolsa.esp.event.DropReason;
import net.poolsa.esp.event.PathState;
import net.poolsa.esp.event.PathSwitchCause;
import net.poolsa.esp.kernel.UserspaceIpsecKernel;
import net.poolsa.esp.path.PathTimers;
import net.poolsa.esp.pipeline.DataPlane;
import net.poolsa.esp.pipeline.DataPlaneConfig;
import net.poolsa.esp.pipeline.IpsecProtector;
import net.poolsa.esp.pipeline.MtuSettings;
import net.poolsa.esp.sa.AddressPool;
import net.poolsa.esp.sa.OuterAddress;
import net.poolsa.esp.sa.SecurityAssociation;
import net.poolsa.esp.sa.TrafficSelector;
import net.poolsa.esp.spd.SecurityPolicy;

/**
 * Test-side gateway: builds one pair of manual tunnel SAs from the command line and runs a {@link DataPlane}
 * until SIGTERM; writes a status file (drops by reason, SA outer addresses, switches, counters) every 100 ms.
 * Launched by the namespace tests with {@code ip netns exec NS java -cp CP net.poolsa.esp.netns.GatewayMain ...}.
 *
 * <pre>
 * --uplink IF,ADDR,PREFIXLEN (repeat)  --sink NAME  --peer ADDR (repeat)
 * --local-pool CIDR,... --remote-pool CIDR,...  --local-inner CIDR,... --remote-inner CIDR,...
 * --crypto xor|copy (benchmark ceiling, no crypto)|aes-gcm-16|aes-cbc+hmac-sha2-256-128 (keys ENC:INTEG)|...  --out-spi HEX --in-spi HEX --out-key HEX --in-key HEX --mtu N --icmp ADDR (repeat) --status FILE
 * --probe-ms N --dead-ms N (probe interval, busy and idle, and detection time) --immediate true|false (default true) --sink-kind capture|tun (default capture)
 * --emit raw|packet|packet-bypass|xdp (how ESP leaves towards the uplinks; default UplinkEmitter.DEFAULT_MODE)
 * --event-loops N (default 1)
 * --ah-out-spi HEX --ah-in-spi HEX --ah-out-key HEX --ah-in-key HEX   (optional: an AH+ESP bundle, transport-mode
 *                                                                       AH with hmac-sha2-256-128 over the ESP SAs)
 * </pre>
 */
public final class GatewayMain {
    private GatewayMain() {
    }

    public static void main(String[] args) throws Exception {
        List<DataPlaneConfig.Uplink> uplinks = new ArrayList<>();
        List<OuterAddress> peers = new ArrayList<>();
        List<OuterAddress> icmp = new ArrayList<>();
        String sink = null;
        String localPool = null;
        String remotePool = null;
        String localInner = null;
        String remoteInner = null;
        int outSpi = 0;
        int inSpi = 0;
        String outKey = "33";
        String inKey = "44";
        String crypto = "xor";
        int mtu = 1500;
        long probeMs = 100;
        long deadMs = 600;
        Path status = null;
        boolean immediate = true; // DataPlaneConfig's default
        DataPlaneConfig.Sink sinkKind = DataPlaneConfig.Sink.CAPTURE;
        int eventLoops = 1;
        int ahOutSpi = 0;
        int ahInSpi = 0;
        String ahOutKey = null;
        String ahInKey = null;
        for (int i = 0; i < args.length; i += 2) {
            String v = args[i + 1];
            switch (args[i]) {
                case "--uplink" -> {
                    String[] f = v.split(",");
                    uplinks.add(new DataPlaneConfig.Uplink(f[0], OuterAddress.parse(f[1]), Integer.parseInt(f[2])));
                }
                case "--sink" -> sink = v;
                case "--peer" -> peers.add(OuterAddress.parse(v));
                case "--local-pool" -> localPool = v;
                case "--remote-pool" -> remotePool = v;
                case "--local-inner" -> localInner = v;
                case "--remote-inner" -> remoteInner = v;
                case "--out-spi" -> outSpi = Integer.parseUnsignedInt(v, 16);
                case "--in-spi" -> inSpi = Integer.parseUnsignedInt(v, 16);
                case "--out-key" -> outKey = v;
                case "--in-key" -> inKey = v;
                case "--crypto" -> crypto = v;
                case "--mtu" -> mtu = Integer.parseInt(v);
                case "--icmp" -> icmp.add(OuterAddress.parse(v));
                case "--status" -> status = Path.of(v);
                case "--probe-ms" -> probeMs = Long.parseLong(v);
                case "--dead-ms" -> deadMs = Long.parseLong(v);
                case "--immediate" -> immediate = Boolean.parseBoolean(v);
                case "--ah-out-spi" -> ahOutSpi = Integer.parseUnsignedInt(v, 16);
                case "--ah-in-spi" -> ahInSpi = Integer.parseUnsignedInt(v, 16);
                case "--ah-out-key" -> ahOutKey = v;
                case "--ah-in-key" -> ahInKey = v;
                case "--emit" -> System.setProperty(net.poolsa.esp.emit.UplinkEmitter.MODE_PROPERTY, v);
                case "--event-loops" -> eventLoops = Integer.parseInt(v);
                case "--sink-kind" -> sinkKind = DataPlaneConfig.Sink.valueOf(v.toUpperCase(java.util.Locale.ROOT));
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        AddressPool lp = AddressPool.parse(localPool.split(","));
        AddressPool rp = AddressPool.parse(remotePool.split(","));
        AddressPool li = AddressPool.parse(localInner.split(","));
        AddressPool ri = AddressPool.parse(remoteInner.split(","));
        UserspaceIpsecKernel kernel = new UserspaceIpsecKernel();
        SecurityAssociation out = ManualSas.outbound(outSpi, 1, lp, rp, li, ri, keys(crypto, outKey));
        SecurityAssociation in = ManualSas.inbound(inSpi, 1, lp, rp, li, ri, keys(crypto, inKey));
        out.setCurrentRemote(peers.get(0));
        for (DataPlaneConfig.Uplink u : uplinks) {
            if (new net.poolsa.esp.path.LocalAddress(u.address(), u.prefixLength()).onLink(peers.get(0))) {
                out.setCurrentLocal(u.address());
            }
        }
        kernel.addSa(out);
        kernel.addSa(in);
        if (ahOutKey != null) {
            // Same reqid as the ESP SAs: the kernel makes them an AH+ESP bundle (RFC 4301 §4.5).
            for (boolean outbound : new boolean[] {true, false}) {
                kernel.addSa(SecurityAssociation.builder().spi(outbound ? ahOutSpi : ahInSpi).reqid(1)
                        .direction(outbound ? net.poolsa.esp.sa.Direction.OUTBOUND : net.poolsa.esp.sa.Direction.INBOUND)
                        .protocol(net.poolsa.esp.sa.IpsecProtocol.AH).mode(net.poolsa.esp.sa.SaMode.TRANSPORT)
                        .localOuter(lp).remoteOuter(rp)
                        .selector(outbound ? TrafficSelector.between(lp, rp) : TrafficSelector.between(rp, lp))
                        .keys(new net.poolsa.esp.sa.SaKeys("none", new byte[0], "hmac-sha2-256-128",
                                java.util.HexFormat.of().parseHex(outbound ? ahOutKey : ahInKey)))
                        .build());
            }
        }
        kernel.addPolicy(SecurityPolicy.protect("out", TrafficSelector.between(li, ri), 1));
        // As manual keying installs it: cleartext from the remote inner pool must arrive inside the SA (RFC 4301 §5.2).
        kernel.addPolicy(new SecurityPolicy("in", net.poolsa.esp.sa.Direction.INBOUND, 1000, TrafficSelector.between(ri, li),
                net.poolsa.esp.spd.PolicyAction.PROTECT, 1));

        Map<DropReason, AtomicLong> drops = new EnumMap<>(DropReason.class);
        for (DropReason r : DropReason.values()) {
            drops.put(r, new AtomicLong());
        }
        AtomicLong switches = new AtomicLong();
        DataPathListener listener = new DataPathListener() {
            @Override
            public void dropped(DropReason reason, SecurityAssociation sa) {
                drops.get(reason).incrementAndGet();
            }

            @Override
            public void outerPathChanged(SecurityAssociation sa, OuterAddress previousLocal, OuterAddress previousRemote,
                                         PathSwitchCause cause, long detectionNanos) {
                switches.incrementAndGet();
                System.out.println("switch " + sa.spiHex() + " " + previousRemote + " -> " + sa.currentRemote() + " " + cause.label());
            }

            @Override
            public void pathStateChanged(OuterAddress local, OuterAddress remote, PathState previous,
                                         PathState current) {
                System.out.println("path " + local + ">" + remote + " " + (current == null ? "removed" : current.label()));
            }
        };
        OuterAddress icmp4 = icmp.stream().filter(OuterAddress::v4).findFirst().orElse(null);
        OuterAddress icmp6 = icmp.stream().filter(a -> !a.v4()).findFirst().orElse(null);
        DataPlaneConfig cfg = new DataPlaneConfig(uplinks, sink, List.of(remoteInner.split(",")), peers, kernel,
                new MtuSettings(mtu, icmp4, icmp6, 100), timers(probeMs, deadMs), true, immediate, sinkKind, eventLoops);
        DataPlane dp = new DataPlane(cfg, crypto.equals("xor") ? XorProtector::new
                : crypto.equals("copy") ? CopyProtector::new : IpsecProtector.FACTORY, listener);
        CountDownLatch done = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            dp.stop();
            done.countDown();
        }));
        dp.start();
        System.out.println("ready");
        while (done.getCount() > 0) {
            StringBuilder s = new StringBuilder("ready\n");
            drops.forEach((r, n) -> s.append("drop.").append(r.label()).append('=').append(n.get()).append('\n'));
            s.append("out.spi=").append(out.spiHex()).append('\n');
            s.append("out.remote=").append(out.currentRemote()).append('\n');
            s.append("out.local=").append(out.currentLocal()).append('\n');
            s.append("out.switches=").append(switches.get()).append('\n');
            s.append("out.packets=").append(out.packets()).append('\n');
            s.append("in.packets=").append(in.packets()).append('\n');
            s.append("capture.kernel_drops=").append(dp.captureKernelDrops()).append('\n');
            List<net.poolsa.esp.emit.UplinkEmitter> ues = dp.uplinkEmitters();
            if (!ues.isEmpty()) { // counters of the event loops, read without a lock: a status snapshot may lag by a batch
                s.append("emit.path=").append(ues.get(0).description()).append('\n');
                s.append("emit.ring_packets=").append(ues.stream().mapToLong(u -> u.ringPackets()).sum()).append('\n');
                s.append("emit.raw_ipsec_packets=").append(ues.stream().mapToLong(u -> u.rawIpsecPackets()).sum()).append('\n');
                s.append("emit.kicks=").append(ues.stream().mapToLong(u -> u.kicks()).sum()).append('\n');
                s.append("emit.overload=").append(ues.stream().mapToLong(u -> u.overloadDrops()).sum()).append('\n');
            }
            long[] perLoop = dp.capturedPerLoop();
            for (int i = 0; i < perLoop.length; i++) {
                s.append("loop.").append(i).append(".captured=").append(perLoop[i]).append('\n');
            }
            long[] handed = dp.handedOffPerLoop();
            for (int i = 0; i < handed.length; i++) {
                s.append("loop.").append(i).append(".handed=").append(handed[i]).append('\n');
            }
            write(status, s.toString());
            Thread.sleep(100);
        }
    }

    /** One interval for busy and idle paths (probing as before the BFD timers), and the detection time in whole intervals. */
    private static PathTimers timers(long probeMs, long deadMs) {
        Duration probe = Duration.ofMillis(probeMs);
        int multiplier = (int) Math.max(1, (deadMs + probeMs - 1) / probeMs);
        return new PathTimers(probe, probe, multiplier, 1000, PathTimers.DEFAULTS.switchBackAfter(),
                PathTimers.DEFAULTS.switchLimit(), PathTimers.DEFAULTS.switchLimitWindow());
    }

    /**
     * "xor": test-only XOR with the first key byte; "ENC" (an AEAD such as aes-gcm-16) with its key; or
     * "ENC+INTEG" (e.g. aes-cbc+hmac-sha2-256-128) with the key given as ENCKEY:INTEGKEY.
     */
    private static net.poolsa.esp.sa.SaKeys keys(String crypto, String hex) {
        java.util.HexFormat hf = java.util.HexFormat.of();
        int plus = crypto.indexOf('+');
        if (plus >= 0) {
            String[] k = hex.split(":", 2);
            if (k.length != 2) {
                throw new IllegalArgumentException("--crypto " + crypto + " needs keys as ENCKEY:INTEGKEY");
            }
            return new net.poolsa.esp.sa.SaKeys(crypto.substring(0, plus), hf.parseHex(k[0]), crypto.substring(plus + 1),
                    hf.parseHex(k[1]));
        }
        byte[] k = hf.parseHex(hex);
        return crypto.equals("xor") || crypto.equals("copy") ? ManualSas.xorKeys(k[0] & 0xff) : new net.poolsa.esp.sa.SaKeys(crypto, k, "none", new byte[0]);
    }

    private static void write(Path status, String text) throws IOException {
        Path tmp = status.resolveSibling(status.getFileName() + ".tmp");
        Files.writeString(tmp, text, StandardCharsets.UTF_8);
        Files.move(tmp, status, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
