package net.poolsa.appliance.lifecycle;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import net.poolsa.esp.event.DropReason;
import net.poolsa.esp.sa.AddressPool;
import net.poolsa.esp.sa.Direction;
import net.poolsa.esp.sa.IpLiterals;
import net.poolsa.esp.sa.OuterAddress;
import net.poolsa.esp.sa.SecurityAssociation;
import net.poolsa.esp.transform.IpsecProcessor;

/**
 * Test double of the data path: records start, updates (reloads) and stop (and, when the system property
 * {@code poolsa.test.marker} names a file, writes "stopped" into it, so a test can see a child process
 * remove its diversion). Registered only on the class path of the child processes the tests start
 * (src/test/provider-services), so the in-process CLI tests see a build without a data path.
 */
public final class RecordingDataPathProvider implements DataPathProvider {
    public volatile DataPathContext context;
    public volatile boolean stopped;
    public final java.util.List<DataPathContext> updates = new java.util.concurrent.CopyOnWriteArrayList<>();

    @Override
    public String name() {
        return "recording";
    }

    @Override
    public DataPath start(DataPathContext ctx) {
        this.context = ctx;
        if (Boolean.getBoolean("poolsa.test.exercise")) {
            System.out.println("event=test_exercised sas=" + exercise(ctx));
        }
        return new DataPath() {
            @Override
            public void update(DataPathContext next) {
                updates.add(next);
            }

            @Override
            public void stop() {
                stopDataPath(ctx);
            }
        };
    }

    private void stopDataPath(DataPathContext ctx) {
        stopped = true;
        String marker = System.getProperty("poolsa.test.marker");
        if (marker != null) {
            try {
                Files.writeString(Path.of(marker), "stopped sas=" + ctx.kernel().listSas().size() + "\n");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    /**
     * With {@code -Dpoolsa.test.exercise=true}: one packet through every installed SA, so that their ciphers and MACs
     * exist with the keys in their JCA key schedules (what a heap-dump test must find before it may claim they are
     * gone). Outbound SAs seal an IPv4/UDP packet; inbound SAs get an ESP packet with a wrong ICV, which sets up the
     * MAC before the packet is dropped. Returns how many SAs went through.
     */
    private static int exercise(DataPathContext ctx) {
        int[] badIcv = new int[1];
        IpsecProcessor proc = new IpsecProcessor(UnpooledByteBufAllocator.DEFAULT, (reason, sa) -> {
            if (reason == DropReason.BAD_ICV) {
                badIcv[0]++;
            }
        });
        int done = 0;
        for (SecurityAssociation sa : ctx.kernel().listSas()) {
            OuterAddress local = first(sa.localOuter());
            OuterAddress remote = first(sa.remoteOuter());
            if (sa.direction() == Direction.OUTBOUND) {
                ByteBuf inner = ipv4(17, 0xC0000201, 0xC0000281, new byte[8 + 32]);
                ByteBuf out = proc.protect(sa, inner, local, remote);
                inner.release();
                if (out != null) {
                    out.release();
                    done++;
                }
            } else {
                ByteBuf body = Unpooled.buffer().writeInt(sa.spi()).writeInt(1).writeZero(16 + 32 + 16);
                byte[] b = new byte[body.readableBytes()];
                body.readBytes(b);
                body.release();
                ByteBuf esp = ipv4(50, remote.v4Bits(), local.v4Bits(), b);
                int before = badIcv[0];
                ByteBuf r = proc.unprotect(sa, esp);
                esp.release();
                if (r != null) {
                    r.release();
                } else if (badIcv[0] > before) {
                    done++;
                }
            }
        }
        return done;
    }

    private static OuterAddress first(AddressPool pool) {
        return OuterAddress.parse(IpLiterals.format(pool.prefixes().get(0).network()));
    }

    /** An IPv4 packet with a correct header checksum around {@code payload}. */
    private static ByteBuf ipv4(int protocol, int src, int dst, byte[] payload) {
        ByteBuf b = Unpooled.buffer(20 + payload.length);
        b.writeByte(0x45).writeByte(0).writeShort(20 + payload.length).writeShort(1).writeShort(0x4000)
                .writeByte(64).writeByte(protocol).writeShort(0).writeInt(src).writeInt(dst);
        int sum = 0;
        for (int i = 0; i < 20; i += 2) {
            sum += b.getUnsignedShort(i);
        }
        sum = (sum & 0xFFFF) + (sum >>> 16);
        sum = (sum & 0xFFFF) + (sum >>> 16);
        b.setShort(10, ~sum & 0xFFFF);
        if (protocol == 17) {
            b.writeShort(40000).writeShort(9).writeShort(payload.length).writeShort(0).writeBytes(payload, 8, payload.length - 8);
        } else {
            b.writeBytes(payload);
        }
        return b;
    }
}
