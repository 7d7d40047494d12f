package net.poolsa.esp.transform;

import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import net.poolsa.esp.crypto.AeadCipher;
import net.poolsa.esp.crypto.CbcHmacCipher;
import net.poolsa.esp.crypto.EspAlgorithm;
import net.poolsa.esp.crypto.EspCipher;
import net.poolsa.esp.crypto.IntegrityAlgorithm;
import net.poolsa.esp.crypto.IntegrityMac;
import net.poolsa.esp.crypto.IpsecAlgorithms;
import net.poolsa.esp.replay.OutboundSequence;
import net.poolsa.esp.replay.ReplayWindow;
import net.poolsa.esp.sa.IpsecProtocol;
import net.poolsa.esp.sa.SaKeys;
import net.poolsa.esp.sa.SecurityAssociation;
import net.poolsa.esp.sa.TransformContext;

/**
 * The transform layer's per-SA state, kept in the SA's typed slot ({@link SecurityAssociation#transformContext()}): the parsed
 * algorithms, private copies of the keys, the outbound sequence counter, the anti-replay window, and one
 * cipher (ESP) or MAC (AH) per processor thread, so that JCA objects are reused but never shared.
 *
 * <p>{@link #close()} (called by {@link SecurityAssociation#kill()}) zeroes the key copies and re-keys the
 * JCA objects with zeros, which makes SunJCE zero the key schedules and key copies it held (see
 * {@link net.poolsa.esp.crypto.WipeableKey}); a heap dump after the kill finds no form of the keys.
 */
public final class SaTransformContext implements TransformContext {
    /** Window used only to infer ESN high halves when the SA has anti-replay switched off. */
    private static final int ESN_TRACKING_WINDOW = 1024;

    private final IpsecProtocol protocol;
    private final EspAlgorithm encryption;
    private final IntegrityAlgorithm integrity;
    private final byte[] encryptionKey;
    private final byte[] integrityKey;
    private final boolean esn;
    private final OutboundSequence outbound;
    private final ReplayWindow window;
    private final boolean replayCheck;
    private volatile Object[] slots = new Object[0];
    private volatile boolean closed;
    private volatile SecurityAssociation bundleOuter;

    private SaTransformContext(SecurityAssociation sa) throws GeneralSecurityException {
        SaKeys keys = sa.keys();
        this.protocol = sa.protocol();
        this.encryption = EspAlgorithm.of(keys.encryptionAlgorithm());
        this.integrity = IntegrityAlgorithm.of(keys.integrityAlgorithm());
        if (encryption == null || integrity == null) {
            throw new GeneralSecurityException("unknown algorithm in " + keys);
        }
        // One table decides, for the configuration as for the data path (IpsecAlgorithms).
        IpsecAlgorithms.Problem problem = IpsecAlgorithms.check(protocol, encryption, keys.encryptionKey().length,
                integrity, keys.integrityKey().length);
        if (problem != null) {
            throw new GeneralSecurityException(problem.message());
        }
        boolean authenticated = protocol == IpsecProtocol.AH || encryption.aead() || integrity != IntegrityAlgorithm.NONE;
        this.encryptionKey = keys.encryptionKey().clone();
        this.integrityKey = keys.integrityKey().clone();
        this.esn = sa.extendedSequenceNumbers();
        this.outbound = new OutboundSequence(esn);
        // RFC 4303 §3.4.3: without integrity the sequence number is unauthenticated, so anti-replay is off.
        this.replayCheck = authenticated && sa.replayWindow() > 0;
        this.window = authenticated ? new ReplayWindow(sa.replayWindow() > 0 ? sa.replayWindow() : ESN_TRACKING_WINDOW) : null;
    }

    /**
     * The context of {@code sa}, created on first use.
     *
     * @throws GeneralSecurityException when the SA's algorithms or key sizes are not usable
     */
    public static SaTransformContext of(SecurityAssociation sa) throws GeneralSecurityException {
        if (sa.transformContext() instanceof SaTransformContext c) {
            return c;
        }
        // Rare (an SA's first packets): two threads may both build one; the loser wipes its key copies.
        SaTransformContext made = new SaTransformContext(sa);
        TransformContext installed = sa.installTransformContext(made);
        if (installed != made) {
            made.close();
        }
        if (installed instanceof SaTransformContext c) {
            return c;
        }
        throw new GeneralSecurityException("SA " + sa.spiHex() + " holds another transform layer's context");
    }

    public EspAlgorithm encryption() {
        return encryption;
    }

    public IntegrityAlgorithm integrity() {
        return integrity;
    }

    public boolean esn() {
        return esn;
    }

    public OutboundSequence outbound() {
        return outbound;
    }

    /** The anti-replay window, also the ESN tracker; null for an unauthenticated SA. */
    public ReplayWindow window() {
        return window;
    }

    public boolean replayCheck() {
        return replayCheck;
    }

    @Override
    public boolean closed() {
        return closed;
    }

    /**
     * The transport-mode AH SA of this ESP SA's AH+ESP bundle (RFC 4301 §4.5), or null. Outbound: the AH SA
     * to apply over its packets. Inbound: the AH SA its packets must arrive inside (bare ESP, or ESP inside
     * another reqid's AH, is dropped). Set by the control plane before the ESP SA becomes visible to the
     * data path, read once per packet.
     */
    public SecurityAssociation bundleOuter() {
        return bundleOuter;
    }

    public void bundleOuter(SecurityAssociation ah) {
        this.bundleOuter = ah;
    }

    /** The ESP cipher of processor {@code index}, created on its first packet. */
    EspCipher espCipher(int index, SecureRandom random) throws GeneralSecurityException {
        return (EspCipher) slot(index, random);
    }

    /** The AH MAC of processor {@code index}. */
    IntegrityMac ahMac(int index) throws GeneralSecurityException {
        return (IntegrityMac) slot(index, null);
    }

    private Object slot(int index, SecureRandom random) throws GeneralSecurityException {
        Object[] s = slots;
        if (index < s.length && s[index] != null) {
            return s[index];
        }
        return createSlot(index, random);
    }

    private synchronized Object createSlot(int index, SecureRandom random) throws GeneralSecurityException {
        if (closed) {
            throw new GeneralSecurityException("SA context closed");
        }
        Object[] s = slots;
        if (index < s.length && s[index] != null) {
            return s[index];
        }
        Object created;
        if (protocol == IpsecProtocol.AH) {
            created = new IntegrityMac(integrity, integrityKey);
        } else if (encryption.aead()) {
            created = new AeadCipher(encryption, encryptionKey);
        } else {
            created = new CbcHmacCipher(encryption, encryptionKey, integrity, integrityKey, random);
        }
        Object[] grown = Arrays.copyOf(s, Math.max(s.length, index + 1));
        grown[index] = created;
        slots = grown;
        return created;
    }

    /** Zeroes the key copies and overwrites the JCA key schedules (best effort, see the class comment). */
    @Override
    public synchronized void close() {
        closed = true;
        Arrays.fill(encryptionKey, (byte) 0);
        Arrays.fill(integrityKey, (byte) 0);
        for (Object o : slots) {
            if (o instanceof EspCipher) {
                ((EspCipher) o).destroy();
            } else if (o instanceof IntegrityMac) {
                ((IntegrityMac) o).destroy();
            }
        }
    }
}
