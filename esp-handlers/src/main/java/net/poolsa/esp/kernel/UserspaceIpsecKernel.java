package net.poolsa.esp.kernel;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import net.poolsa.esp.sa.Direction;
import net.poolsa.esp.sa.IpsecProtocol;
import net.poolsa.esp.sa.SaMode;
import net.poolsa.esp.sa.SaState;
import net.poolsa.esp.sa.SecurityAssociation;
import net.poolsa.esp.sad.OutboundSlot;
import net.poolsa.esp.sad.SecurityAssociationDatabase;
import net.poolsa.esp.spd.InstalledPolicy;
import net.poolsa.esp.spd.SecurityPolicy;
import net.poolsa.esp.spd.SecurityPolicyDatabase;
import net.poolsa.esp.transform.SaBundle;

/**
 * poolsa's own IPsec "kernel": the pool SAD and SPD that the userspace data path reads.
 * Lifetimes in time are checked when the owner calls {@link #expireTick(long)} (once a second is plenty);
 * lifetimes in bytes and packets, and sequence-number exhaustion, are crossed on the data path. Either way
 * the SA's state change reaches {@link KernelListener#expired}: a soft expiry once (rekey now), a hard one
 * after the SA was removed.
 *
 * <p><b>AH+ESP bundles</b> (RFC 4301 §4.5): outbound, {@link OutboundSlot} links the reqid's AH SA into each ESP
 * SA before publishing it and refuses to send either half alone once the reqid is a bundle. Inbound, an ESP SA
 * whose reqid has (or had) a transport-mode inbound AH SA gets that AH SA linked into its context before it is
 * published in the SAD ({@link SaBundle#linkInbound}); the data path then accepts it only inside AH of the same
 * reqid (RFC 4301 §5.2: the SAs applied must match the policy). Like outbound, the mark lasts until the reqid
 * has no inbound ESP or AH SA left.
 */
public final class UserspaceIpsecKernel implements IpsecKernel {
    private static final long ACQUIRE_INTERVAL_NANOS = 1_000_000_000L;

    private final SecurityAssociationDatabase sad;
    private final SecurityPolicyDatabase spd;
    private final ConcurrentHashMap<Integer, Long> lastAcquire = new ConcurrentHashMap<>();
    private volatile KernelListener listener = KernelListener.NONE;
    /** Inbound SAs by reqid, for bundle marking; guarded by the SAD's monitor. */
    private final Map<Integer, InboundGroup> inboundGroups = new HashMap<>();

    private static final class InboundGroup {
        final List<SecurityAssociation> esp = new ArrayList<>(2);
        final List<SecurityAssociation> ah = new ArrayList<>(2);
        SecurityAssociation bundleAh; // the newest transport-mode AH SA ever installed, null while not a bundle
    }

    public UserspaceIpsecKernel() {
        this(new SecurityAssociationDatabase());
    }

    public UserspaceIpsecKernel(SecurityAssociationDatabase sad) {
        this.sad = sad;
        this.spd = new SecurityPolicyDatabase(sad);
        sad.setLifetimeObserver(this::lifetimeCrossed);
    }

    @Override
    public SecurityAssociationDatabase sad() {
        return sad;
    }

    @Override
    public SecurityPolicyDatabase spd() {
        return spd;
    }

    @Override
    public int allocateSpi() {
        return sad.allocateSpi();
    }

    @Override
    public void releaseSpi(int spi) {
        sad.releaseSpi(spi);
    }

    @Override
    public void addSa(SecurityAssociation sa) {
        synchronized (sad) { // the SAD's writer lock: marking and publishing are one step
            if (sa.direction() == Direction.INBOUND) {
                markInbound(sa);
            }
            try {
                sad.install(sa); // outbound: the slot links AH into ESP before publishing (OutboundSlot)
            } catch (RuntimeException e) {
                if (sa.direction() == Direction.INBOUND) {
                    forgetInbound(sa);
                }
                throw e;
            }
        }
    }

    /**
     * Declares {@code reqid} an AH+ESP bundle before its SAs exist: outbound traffic is then dropped (with an
     * acquire) until both the ESP and the AH SA are installed, whatever order they come in. Without it the
     * reqid becomes a bundle when it first holds both.
     */
    @Override
    public void requireBundle(int reqid) {
        synchronized (sad) {
            sad.slot(reqid).requireBundle();
        }
    }

    /** Links inbound ESP SAs of a bundled reqid to its AH SA, before {@code sa} is visible to lookups. */
    private void markInbound(SecurityAssociation sa) {
        InboundGroup g = inboundGroups.computeIfAbsent(sa.reqid(), r -> new InboundGroup());
        if (sa.protocol() == IpsecProtocol.ESP) {
            if (g.bundleAh != null) {
                SaBundle.linkInbound(sa, g.bundleAh);
            }
            g.esp.add(sa);
        } else {
            g.ah.add(sa);
            if (sa.mode() == SaMode.TRANSPORT) {
                g.bundleAh = sa;
                for (SecurityAssociation e : g.esp) {
                    SaBundle.linkInbound(e, sa);
                }
            }
        }
    }

    private void forgetInbound(SecurityAssociation sa) {
        InboundGroup g = inboundGroups.get(sa.reqid());
        if (g != null) {
            g.esp.remove(sa);
            g.ah.remove(sa);
            if (g.esp.isEmpty() && g.ah.isEmpty()) {
                inboundGroups.remove(sa.reqid());
            }
        }
    }

    @Override
    public boolean deleteSa(Direction direction, int spi, IpsecProtocol protocol, int reqid) {
        synchronized (sad) {
            SecurityAssociation removed = direction == Direction.INBOUND
                    ? sad.removeInbound(spi, protocol)
                    : sad.removeOutbound(reqid, spi, protocol);
            if (removed != null && direction == Direction.INBOUND) {
                forgetInbound(removed);
            }
            if (removed != null && direction == Direction.OUTBOUND) {
                lastAcquire.remove(reqid); // the next packet without an SA is a new need, not a repeat
            }
            return removed != null;
        }
    }

    @Override
    public List<SecurityAssociation> listSas() {
        return sad.snapshot();
    }

    @Override
    public void addPolicy(SecurityPolicy policy) {
        // A policy installed again (a reload that changed its connection) acquires on its first packet, not up to a
        // second after an acquire the old one raised.
        lastAcquire.remove(policy.reqid());
        spd.add(policy);
    }

    @Override
    public boolean deletePolicy(String id) {
        return spd.remove(id);
    }

    @Override
    public void setListener(KernelListener listener) {
        this.listener = listener == null ? KernelListener.NONE : listener;
    }

    /** Checks time lifetimes of all SAs; transitions are reported through the SAs' state observer. */
    @Override
    public void expireTick(long nowNanos) {
        for (SecurityAssociation sa : sad.snapshot()) {
            sa.checkTime(nowNanos);
        }
    }

    private void lifetimeCrossed(SecurityAssociation sa, SaState state) {
        if (state == SaState.SOFT_EXPIRED) {
            listener.expired(sa, false);
        } else if (state == SaState.EXPIRED) {
            boolean removed;
            synchronized (sad) {
                removed = sad.remove(sa);
                if (removed && sa.direction() == Direction.INBOUND) {
                    forgetInbound(sa);
                }
            }
            if (removed) {
                listener.expired(sa, true);
            }
        }
    }

    /**
     * Called by the data path for PROTECT without SA; forwards at most once a second per reqid, counted from the last
     * acquire since the reqid's policy was installed or its outbound SA removed.
     */
    @Override
    public void reportAcquire(InstalledPolicy policy, long nowNanos) {
        int reqid = policy.policy().reqid();
        Long last = lastAcquire.get(reqid);
        if (last != null && nowNanos - last < ACQUIRE_INTERVAL_NANOS) {
            return;
        }
        lastAcquire.put(reqid, nowNanos);
        listener.acquire(policy);
    }

    /** Removes every SA (keys zeroed): shutdown. */
    @Override
    public void flush() {
        synchronized (sad) {
            sad.clear();
            inboundGroups.clear();
        }
    }
}
