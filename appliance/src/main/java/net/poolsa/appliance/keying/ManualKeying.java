package net.poolsa.appliance.keying;

import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import net.poolsa.appliance.config.ConnectionConfig;
import net.poolsa.appliance.config.ConnectionConfig.BundleAhConfig;
import net.poolsa.appliance.config.ConnectionConfig.ManualSaConfig;
import net.poolsa.appliance.config.Secret;
import net.poolsa.appliance.state.SequenceStore;
import net.poolsa.esp.kernel.IpsecKernel;
import net.poolsa.esp.sa.Direction;
import net.poolsa.esp.sa.IpsecProtocol;
import net.poolsa.esp.sa.SaMode;
import net.poolsa.esp.sa.TrafficSelector;
import net.poolsa.esp.sa.SaKeys;
import net.poolsa.esp.sa.SecurityAssociation;
import net.poolsa.esp.spd.PolicyAction;
import net.poolsa.esp.spd.SecurityPolicy;
import net.poolsa.esp.transform.SaTransformContext;

/**
 * Installs a manually keyed connection (RFC 4301 §4.5: manual SA and key management) through the
 * {@link IpsecKernel}: an inbound pool SA (SPI chosen by us, peer pool to our pool), an outbound one
 * (SPI chosen by the peer), and PROTECT policies in both directions tied to them by a reqid. An AH+ESP
 * bundle adds a transport-mode AH pair under the same reqid (RFC 4301 §4.5).
 */
public final class ManualKeying {
    /** Manual policies sit at the same priority IKE-installed ones will use; specificity orders them. */
    static final int POLICY_PRIORITY = 1000;

    private final IpsecKernel kernel;
    private final SequenceStore store;

    /**
     * Without a state directory: every install starts the counters at 1 and nothing survives the process. For
     * tests and tools that never put the SAs on the wire; {@code poolsa run} always has a {@link SequenceStore}.
     */
    public ManualKeying(IpsecKernel kernel) {
        this(kernel, null);
    }

    /**
     * @param store where the SAs' sequence numbers are reserved and their replay windows recorded (RFC 4303
     *              §3.3.3), or null for none
     */
    public ManualKeying(IpsecKernel kernel, SequenceStore store) {
        this.kernel = kernel;
        this.store = store;
    }

    /** Builds and installs both SAs and both policies; on failure nothing stays installed. */
    public InstalledConnection install(ConnectionConfig c, int reqid, long nowNanos) {
        ManualSaConfig m = c.manual();
        if (m == null) {
            throw new IllegalArgumentException("connection " + c.name() + " is keyed by IKE, not manually");
        }
        SecurityAssociation in = build(c, reqid, Direction.INBOUND, m.spiIn(), m.encryptionKeyIn(), m.integrityKeyIn(), nowNanos);
        SecurityAssociation out = build(c, reqid, Direction.OUTBOUND, m.spiOut(), m.encryptionKeyOut(), m.integrityKeyOut(), nowNanos);
        BundleAhConfig b = m.bundleAh();
        SecurityAssociation ahIn = b == null ? null : buildAh(c, reqid, Direction.INBOUND, b.spiIn(), b.integrity(), b.keyIn(), nowNanos);
        SecurityAssociation ahOut = b == null ? null : buildAh(c, reqid, Direction.OUTBOUND, b.spiOut(), b.integrity(), b.keyOut(), nowNanos);
        List<SecurityAssociation> attached = new ArrayList<>(4);
        if (store != null) {
            try {
                // Before any SA is visible to the data path: its first packet already has a reserved number.
                for (SecurityAssociation sa : new SecurityAssociation[] {in, ahIn, ahOut, out}) {
                    if (sa != null) {
                        store.attach(sa, context(c, sa));
                        attached.add(sa);
                    }
                }
            } catch (RuntimeException e) {
                for (SecurityAssociation sa : new SecurityAssociation[] {in, ahIn, ahOut, out}) {
                    if (sa != null) {
                        sa.kill();
                    }
                }
                attached.forEach(store::detach);
                throw e;
            }
        }
        String outId = c.name() + "/out";
        String inId = c.name() + "/in";
        boolean inInstalled = false;
        boolean outInstalled = false;
        boolean ahInInstalled = false;
        boolean ahOutInstalled = false;
        boolean outPolicy = false;
        try {
            kernel.addSa(in);
            inInstalled = true;
            if (b != null) {
                // The AH pair goes in before the outbound ESP SA: the bundle is complete from its first packet.
                kernel.addSa(ahIn);
                ahInInstalled = true;
                kernel.addSa(ahOut);
                ahOutInstalled = true;
            }
            kernel.addSa(out);
            outInstalled = true;
            kernel.addPolicy(new SecurityPolicy(outId, Direction.OUTBOUND, POLICY_PRIORITY, c.outboundSelector(),
                    PolicyAction.PROTECT, reqid));
            outPolicy = true;
            kernel.addPolicy(new SecurityPolicy(inId, Direction.INBOUND, POLICY_PRIORITY, c.inboundSelector(),
                    PolicyAction.PROTECT, reqid));
        } catch (RuntimeException e) {
            if (outPolicy) {
                kernel.deletePolicy(outId);
            }
            if (outInstalled) {
                kernel.deleteSa(Direction.OUTBOUND, out.spi(), out.protocol(), reqid);
            } else {
                out.kill();
            }
            if (b != null) {
                if (ahOutInstalled) {
                    kernel.deleteSa(Direction.OUTBOUND, ahOut.spi(), ahOut.protocol(), reqid);
                } else {
                    ahOut.kill();
                }
                if (ahInInstalled) {
                    kernel.deleteSa(Direction.INBOUND, ahIn.spi(), ahIn.protocol(), reqid);
                } else {
                    ahIn.kill();
                }
            }
            if (inInstalled) {
                kernel.deleteSa(Direction.INBOUND, in.spi(), in.protocol(), reqid);
            } else {
                in.kill();
            }
            if (store != null) {
                attached.forEach(store::detach);
            }
            throw e;
        }
        return new InstalledConnection(c, reqid, in, out, outId, inId, ahIn, ahOut);
    }

    /** Deletes policies first (no traffic is sent in the clear meanwhile: no policy means discard), then SAs. */
    public void remove(InstalledConnection ic) {
        kernel.deletePolicy(ic.outboundPolicyId());
        kernel.deletePolicy(ic.inboundPolicyId());
        kernel.deleteSa(Direction.OUTBOUND, ic.outbound().spi(), ic.outbound().protocol(), ic.reqid());
        kernel.deleteSa(Direction.INBOUND, ic.inbound().spi(), ic.inbound().protocol(), ic.reqid());
        if (ic.ahOutbound() != null) {
            kernel.deleteSa(Direction.OUTBOUND, ic.ahOutbound().spi(), ic.ahOutbound().protocol(), ic.reqid());
            kernel.deleteSa(Direction.INBOUND, ic.ahInbound().spi(), ic.ahInbound().protocol(), ic.reqid());
        }
        if (store != null) {
            // After the deletes: the SAs are dead, so the counters read now are final.
            for (SecurityAssociation sa : new SecurityAssociation[] {ic.inbound(), ic.outbound(), ic.ahInbound(), ic.ahOutbound()}) {
                if (sa != null) {
                    store.detach(sa);
                }
            }
        }
    }

    /** The SA's transform context, created now (not at its first packet) so the store can set its counters. */
    private static SaTransformContext context(ConnectionConfig c, SecurityAssociation sa) {
        try {
            return SaTransformContext.of(sa);
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("connection " + c.name() + ": SA " + sa.spiHex() + " cannot carry traffic: "
                    + e.getMessage(), e);
        }
    }

    /**
     * The AH half of an AH+ESP bundle: transport mode between the same outer pools, under the ESP SAs' reqid,
     * which is what makes the kernel apply it over the ESP packets (see {@code IpsecKernel#addSa}).
     */
    private static SecurityAssociation buildAh(ConnectionConfig c, int reqid, Direction dir, int spi, String integrity,
                                               Secret key, long nowNanos) {
        byte[] k = key.copy();
        SaKeys keys;
        try {
            keys = new SaKeys("none", new byte[0], integrity, k);
        } finally {
            Arrays.fill(k, (byte) 0);
        }
        return SecurityAssociation.builder()
                .spi(spi)
                .protocol(IpsecProtocol.AH)
                .mode(SaMode.TRANSPORT)
                .direction(dir)
                .reqid(reqid)
                .localOuter(c.localOuter())
                .remoteOuter(c.remoteOuter())
                .selector(dir == Direction.OUTBOUND ? TrafficSelector.between(c.localOuter(), c.remoteOuter())
                        : TrafficSelector.between(c.remoteOuter(), c.localOuter()))
                .keys(keys)
                .lifetime(c.lifetime())
                .replayWindow(c.replayWindow())
                .createdNanos(nowNanos)
                .build();
    }

    private static SecurityAssociation build(ConnectionConfig c, int reqid, Direction dir, int spi,
                                             Secret encKey, Secret intKey, long nowNanos) {
        ManualSaConfig m = c.manual();
        byte[] ek = encKey == null ? new byte[0] : encKey.copy();
        byte[] ik = intKey == null ? new byte[0] : intKey.copy();
        SaKeys keys;
        try {
            keys = new SaKeys(m.encryption(), ek, m.integrity(), ik);
        } finally {
            // SaKeys copies the arrays; zero ours.
            Arrays.fill(ek, (byte) 0);
            Arrays.fill(ik, (byte) 0);
        }
        return SecurityAssociation.builder()
                .spi(spi)
                .protocol(c.protocol())
                .mode(c.mode())
                .direction(dir)
                .reqid(reqid)
                .localOuter(c.localOuter())
                .remoteOuter(c.remoteOuter())
                .selector(dir == Direction.OUTBOUND ? c.outboundSelector() : c.inboundSelector())
                .keys(keys)
                .lifetime(c.lifetime())
                .extendedSequenceNumbers(c.extendedSequenceNumbers())
                .replayWindow(c.replayWindow())
                .udpEncapsulation(c.udpEncapsulation())
                .createdNanos(nowNanos)
                .build();
    }
}
