package net.poolsa.esp.kernel;

import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

import net.poolsa.esp.sa.Direction;
import net.poolsa.esp.sa.IpsecProtocol;
import net.poolsa.esp.sa.SecurityAssociation;
import net.poolsa.esp.sad.SecurityAssociationDatabase;
import net.poolsa.esp.spd.InstalledPolicy;
import net.poolsa.esp.spd.SecurityPolicy;
import net.poolsa.esp.spd.SecurityPolicyDatabase;

/**
 * poolsa's own IPsec "kernel": the pool SAD and SPD that the userspace data path reads.
 * Expiry by time is driven by the owner calling {@link #expireTick(long)} (once a second is plenty);
 * expiry by bytes and packets is detected by the data path through {@link SecurityAssociation#account(int)}
 * and reported with {@link #reportLifetime(SecurityAssociation, int)}.
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
    }

    @Override
    public boolean deleteSa(Direction direction, int spi, IpsecProtocol protocol, int reqid) {
        SecurityAssociation removed = direction == Direction.INBOUND
                ? sad.removeInbound(spi, protocol)
                : sad.removeOutbound(reqid, spi, protocol);
        return removed != null;
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

    /** Checks time lifetimes: soft expiries are reported, hard-expired SAs are removed and reported. */
    public void expireTick(long nowNanos) {
        for (SecurityAssociation sa : sad.snapshot()) {
            reportLifetime(sa, sa.checkTime(nowNanos));
        }
    }

    /** Acts on a result of {@link SecurityAssociation#account(int)} or {@link SecurityAssociation#checkTime(long)}. */
    public void reportLifetime(SecurityAssociation sa, int lifetimeResult) {
        if (lifetimeResult == SecurityAssociation.LIFETIME_SOFT) {
            listener.expired(sa, false);
        } else if (lifetimeResult == SecurityAssociation.LIFETIME_HARD) {
            if (sad.remove(sa)) {
                listener.expired(sa, true);
            }
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
