package net.poolsa.esp.spd;

import java.math.BigInteger;

import net.poolsa.esp.sa.PortRange;
import net.poolsa.esp.sa.SecurityAssociation;
import net.poolsa.esp.sa.TrafficSelector;
import net.poolsa.esp.sad.OutboundSlot;

/**
 * A policy as the SPD holds it: the configured {@link SecurityPolicy}, its place in the SPD order, and for
 * PROTECT the {@link OutboundSlot} whose current SA protects its traffic (no SA lookup per packet).
 */
public final class InstalledPolicy {
    private final SecurityPolicy policy;
    private final TrafficSelector selector;
    private final OutboundSlot slot;
    private final long sequence;
    // Sort key, precomputed so that comparing two policies on the per-packet path allocates nothing.
    private final int priority;
    // Exact address counts: as doubles, ::/0 plus a few IPv4 addresses would tie with ::/0 (2^128 + 16 rounds
    // to 2^128) and the next rule would decide. BigInteger.compareTo allocates nothing.
    private final BigInteger destinationSpan;
    private final BigInteger sourceSpan;
    private final int protocolAny;
    private final long portSpan;
    volatile boolean removed;
    /** Position in the current index's SPD order (writer-maintained); -1 while only in the delta. */
    int rank = -1;

    InstalledPolicy(SecurityPolicy policy, OutboundSlot slot, long sequence) {
        this.policy = policy;
        this.selector = policy.selector();
        this.slot = slot;
        this.sequence = sequence;
        this.priority = policy.priority();
        this.destinationSpan = selector.destination().size();
        this.sourceSpan = selector.source().size();
        this.protocolAny = selector.ipProtocol() == TrafficSelector.ANY_PROTOCOL ? 1 : 0;
        PortRange sp = selector.sourcePorts();
        PortRange dp = selector.destinationPorts();
        this.portSpan = (long) sp.size() * dp.size();
    }

    public SecurityPolicy policy() {
        return policy;
    }

    public TrafficSelector selector() {
        return selector;
    }

    public PolicyAction action() {
        return policy.action();
    }

    /** The SA to protect with now (PROTECT only), or null when none is installed yet. */
    public SecurityAssociation sa() {
        return slot == null ? null : slot.current();
    }

    public OutboundSlot slot() {
        return slot;
    }

    public long sequence() {
        return sequence;
    }

    public boolean isRemoved() {
        return removed;
    }

    /**
     * The SPD order: explicit priority (lower first); then the narrower destination pool, the narrower
     * source pool, a specific IP protocol before "any", the narrower port ranges; then insertion order.
     */
    boolean before(InstalledPolicy o) {
        return compare(this, o) < 0;
    }

    static int compare(InstalledPolicy a, InstalledPolicy b) {
        int c = Integer.compare(a.priority, b.priority);
        if (c != 0) {
            return c;
        }
        c = a.destinationSpan.compareTo(b.destinationSpan);
        if (c != 0) {
            return c;
        }
        c = a.sourceSpan.compareTo(b.sourceSpan);
        if (c != 0) {
            return c;
        }
        c = Integer.compare(a.protocolAny, b.protocolAny);
        if (c != 0) {
            return c;
        }
        c = Long.compare(a.portSpan, b.portSpan);
        if (c != 0) {
            return c;
        }
        return Long.compare(a.sequence, b.sequence);
    }

    @Override
    public String toString() {
        return policy.id() + " " + policy.direction().name().toLowerCase() + " " + policy.action().name().toLowerCase()
                + " " + selector + (policy.reqid() != 0 ? " reqid " + policy.reqid() : "");
    }
}
