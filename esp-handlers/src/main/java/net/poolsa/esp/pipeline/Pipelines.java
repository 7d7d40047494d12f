package net.poolsa.esp.pipeline;

import io.netty.channel.ChannelPipeline;
import net.poolsa.esp.crypto.RandomSource;
import net.poolsa.esp.event.DataPathListener;
import net.poolsa.esp.ip.Reassembler;
import net.poolsa.esp.kernel.IpsecKernel;
import net.poolsa.esp.path.PathEvidence;

/**
 * The two pipelines of the data plane, each a straight line from capture to emit.
 *
 * <pre>
 * divert sink (cleartext):  decode -> policy (SPD: PROTECT/BYPASS/DISCARD) [-> handoff to the SA's loop] -> protect (+MTU) -> emit
 * uplink (ESP, AH, UDP/4500): decode (+reassembly) -> sa (SPI, pools) -> unprotect (+selectors, TTL) -> emit
 * </pre>
 *
 * Each packet is decoded once, by the first stage ({@link IpDecoder}); its {@link Packet} carries the view to the
 * others, and the transforms decode only what decapsulation produces.
 */
public final class Pipelines {
    /** Reassembly limits per uplink channel: 256 datagrams, 64 fragments each, 5 s (RFC 791 suggests up to 15 s). */
    public static final int REASSEMBLY_DATAGRAMS = 256;
    public static final int REASSEMBLY_FRAGMENTS = 64;
    public static final long REASSEMBLY_TIMEOUT_NANOS = 5_000_000_000L;

    private Pipelines() {
    }

    public static ChannelPipeline cleartext(ChannelPipeline p, IpsecKernel kernel, PacketProtector protector,
                                            MtuSettings mtu, DataPathListener listener) {
        return cleartext(p, kernel, protector, mtu, listener, RandomSource.SYSTEM);
    }

    /** @param random where the protect stage's IPv6 fragment identifications come from */
    public static ChannelPipeline cleartext(ChannelPipeline p, IpsecKernel kernel, PacketProtector protector,
                                            MtuSettings mtu, DataPathListener listener, RandomSource random) {
        return cleartext(p, kernel, protector, mtu, listener, random, null);
    }

    /**
     * With several event loops: {@code handOff} (this loop's stage of a {@link LoopHandOff}) sends each packet to the
     * loop that owns its SA before it is sealed. Null with one loop: no stage, no cost.
     */
    public static ChannelPipeline cleartext(ChannelPipeline p, IpsecKernel kernel, PacketProtector protector,
                                            MtuSettings mtu, DataPathListener listener, RandomSource random,
                                            HandOffStage handOff) {
        p.addLast("decode", new IpDecoder(listener, null))
                .addLast("policy", new OutboundPolicyStage(kernel, listener));
        if (handOff != null) {
            p.addLast("handoff", handOff);
        }
        return p.addLast("protect", new ProtectStage(protector, mtu, listener, random, kernel.spd()))
                .addLast("emit", new EmitStage());
    }

    /** With the capture sink and no ICMP error sources: decapsulated packets are forwarded, expired ones dropped silently. */
    public static ChannelPipeline uplink(ChannelPipeline p, IpsecKernel kernel, PacketProtector protector,
                                         PathEvidence paths, DataPathListener listener) {
        return uplink(p, kernel, protector, paths, listener, null, DataPlaneConfig.Sink.CAPTURE);
    }

    /**
     * @param icmp where ICMP time exceeded comes from, its rate and the path MTU it must fit (null: none sent)
     * @param sink how decapsulated packets leave, which decides who decrements their TTL ({@link UnprotectStage})
     */
    public static ChannelPipeline uplink(ChannelPipeline p, IpsecKernel kernel, PacketProtector protector,
                                         PathEvidence paths, DataPathListener listener, MtuSettings icmp,
                                         DataPlaneConfig.Sink sink) {
        Reassembler reassembler = new Reassembler(p.channel().alloc(), listener, REASSEMBLY_DATAGRAMS,
                REASSEMBLY_FRAGMENTS, REASSEMBLY_TIMEOUT_NANOS);
        return p.addLast("decode", new IpDecoder(listener, reassembler))
                .addLast("sa", new InboundSaStage(kernel.sad(), paths, listener))
                .addLast("unprotect", new UnprotectStage(protector, kernel, paths, listener, icmp, sink))
                .addLast("emit", new EmitStage());
    }
}
