package net.poolsa.esp.emit;

import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import net.poolsa.esp.event.DropListener;

/**
 * The emit path alone, per mode (raw sockets, TPACKET_V2 ring with and without qdisc bypass, AF_XDP): the process CPU
 * time per packet and the packet rate for ESP-shaped IPv4 packets to one on-link peer, sent as the event loop does
 * (a pooled direct buffer per packet, a flush every {@code --batch} packets). On veth the receiver's input path runs
 * in the sender's system call and is charged to it, as in the data-path benchmark. Run as root inside the sender's
 * network namespace (bench/datapath/emit.sh builds one):
 *
 * <pre>
 * java -cp CP net.poolsa.esp.emit.EmitBenchMain --uplink IF --src ADDR --dst ADDR [--modes raw,packet,packet-bypass,xdp]
 *      [--packets N] [--warmup N] [--size BYTES] [--batch N] [--rounds N]
 * </pre>
 *
 * Prints one line per mode and round: {@code MODE round=R packets=N cpu_us_per_packet=X kpps=Y ring=... raw=...}.
 */
public final class EmitBenchMain {
    private EmitBenchMain() {
    }

    public static void main(String[] args) throws Exception {
        String uplink = null;
        byte[] src = null;
        byte[] dst = null;
        List<UplinkEmitter.Mode> modes = List.of(UplinkEmitter.Mode.values());
        int packets = 1_000_000;
        int warmup = 300_000;
        int size = 1400;
        int batch = 128;
        int rounds = 3;
        for (int i = 0; i < args.length; i += 2) {
            String v = args[i + 1];
            switch (args[i]) {
                case "--uplink" -> uplink = v;
                case "--src" -> src = InetAddress.getByName(v).getAddress();
                case "--dst" -> dst = InetAddress.getByName(v).getAddress();
                case "--modes" -> {
                    List<UplinkEmitter.Mode> m = new ArrayList<>();
                    for (String s : v.split(",")) {
                        m.add(UplinkEmitter.Mode.of(s));
                    }
                    modes = m;
                }
                case "--packets" -> packets = Integer.parseInt(v);
                case "--warmup" -> warmup = Integer.parseInt(v);
                case "--size" -> size = Integer.parseInt(v);
                case "--batch" -> batch = Integer.parseInt(v);
                case "--rounds" -> rounds = Integer.parseInt(v);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        if (uplink == null || src == null || dst == null) {
            throw new IllegalArgumentException("--uplink, --src and --dst are required");
        }
        byte[] template = Frames.ipv4(Frames.ESP, 0, 1, 0x4000, src, dst, Frames.esp(0xa001, 1, size - 20));
        for (int r = 1; r <= rounds; r++) {
            for (UplinkEmitter.Mode mode : modes) {
                run(mode, r, uplink, dst, template, warmup, packets, batch);
            }
        }
    }

    private static void run(UplinkEmitter.Mode mode, int round, String uplink, byte[] dst, byte[] template, int warmup, int packets,
                            int batch) throws Exception {
        try (RawSocketEmitter raw = new RawSocketEmitter(DropListener.NONE, 0x5053);
             UplinkEmitter e = UplinkEmitter.open(mode, List.of(uplink), raw, 0x5053, DropListener.NONE)) {
            // The first packets to a new destination take the raw socket until its next hop is known.
            for (int i = 0; i < 100 && mode != UplinkEmitter.Mode.RAW && e.nextHop(dst) == null; i++) {
                send(e, template, 1, 1);
                Thread.sleep(20);
            }
            send(e, template, warmup, batch);
            var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
            long ring0 = e.ringPackets();
            long cpu0 = os.getProcessCpuTime();
            long t0 = System.nanoTime();
            send(e, template, packets, batch);
            long wall = System.nanoTime() - t0;
            long cpu = os.getProcessCpuTime() - cpu0;
            System.out.println(String.format(Locale.ROOT, "%s round=%d packets=%d size=%d cpu_us_per_packet=%.3f kpps=%.0f ring=%d raw=%d kicks=%d overload=%d",
                    mode.label(), round, packets, template.length, cpu / 1000.0 / packets, packets * 1e6 / wall,
                    e.ringPackets() - ring0, raw.sentPackets(), e.kicks(), e.overloadDrops()));
        }
    }

    private static void send(UplinkEmitter e, byte[] template, int count, int batch) {
        for (int i = 0; i < count; i++) {
            ByteBuf b = PooledByteBufAllocator.DEFAULT.directBuffer(template.length);
            b.writeBytes(template);
            e.send(b);
            if ((i + 1) % batch == 0) {
                e.flush();
            }
        }
        e.flush();
    }
}
