package net.poolsa.esp.kernel;

import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

import net.poolsa.esp.sa.Direction;
import net.poolsa.esp.sa.IpsecProtocol;
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
 */
public final class UserspaceIpsecKernel implements IpsecKernel {
    private static final long ACQUIRE_INTERVAL_NANOS = 1_000_000_000L;

    private final SecurityAssociationDatabase sad;
    private final SecurityPolicyDatabase spd;
    private final ConcurrentHashMap<Integer, Long> lastAcquire = new ConcurrentHashMap<>();
    private volatile KernelListener listener = KernelListener.NONE;

    public UserspaceIpsecKernel() {
        this(new SecurityAssociationDatabase());
    }

    public UserspaceIpsecKernel(SecurityAssociationDatabase sad) {
        this.sad = sad;
        this.spd = new SecurityPolicyDatabase(sad);
        sad.setLifetimeObserver(this::lifetimeCrossed);
    }

    public SecurityAssociationDatabase sad() {
        return sad;
    }

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
        sad.install(sa);
        if (sa.direction() == Direction.OUTBOUND) {
            relinkBundle(sa.reqid());
        }
    }

    @Override
    public boolean deleteSa(Direction direction, int spi, IpsecProtocol protocol, int reqid) {
        SecurityAssociation removed = direction == Direction.INBOUND
                ? sad.removeInbound(spi, protocol)
                : sad.removeOutbound(reqid, spi, protocol);
        if (removed != null && direction == Direction.OUTBOUND) {
            relinkBundle(reqid);
        }
        return removed != null;
    }

    /**
     * An ESP and a transport-mode AH SA under one reqid are an AH+ESP bundle ({@link OutboundSlot}): every
     * installed ESP generation gets the newest AH SA linked, so a packet that picked an older generation just
     * before a rekey still leaves with AH. Done on each change of the reqid's SAs, never per packet.
     */
    private void relinkBundle(int reqid) {
        synchronized (sad) { // the SAD's own writer lock: generations do not change meanwhile
            OutboundSlot slot = sad.slot(reqid);
            SecurityAssociation ah = slot.bundleOuter();
            for (SecurityAssociation g : slot.generations()) {
                if (g.protocol() == IpsecProtocol.ESP) {
                    SaBundle.link(g, ah);
                }
            }
        }
    }

    @Override
    public List<SecurityAssociation> listSas() {
        return sad.snapshot();
    }

    @Override
    public void addPolicy(SecurityPolicy policy) {
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
    public void expireTick(long nowNanos) {
        for (SecurityAssociation sa : sad.snapshot()) {
            sa.checkTime(nowNanos);
        }
    }

    private void lifetimeCrossed(SecurityAssociation sa, SaState state) {
        if (state == SaState.SOFT_EXPIRED) {
            listener.expired(sa, false);
        } else if (state == SaState.EXPIRED && sad.remove(sa)) {
            if (sa.direction() == Direction.OUTBOUND) {
                relinkBundle(sa.reqid());
            }
            listener.expired(sa, true);
        }
    }

    /** Called by the data path for PROTECT without SA; forwards at most once a second per reqid. */
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
    public void flush() {
        sad.clear();
    }
}
