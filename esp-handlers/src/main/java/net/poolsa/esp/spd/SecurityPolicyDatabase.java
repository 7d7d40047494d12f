package net.poolsa.esp.spd;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import net.poolsa.esp.sa.Direction;
import net.poolsa.esp.sad.SecurityAssociationDatabase;

/**
 * The SPD (RFC 4301 section 4.4.1) with pools as selectors.
 *
 * <p><b>Order.</b> RFC 4301 makes the SPD an ordered list where the first matching entry wins. Here the
 * order is: explicit {@link SecurityPolicy#priority()} (lower first); on equal priority the more specific
 * policy first: the smaller destination pool, then the smaller source pool, then a named IP protocol before
 * "any", then the smaller product of the port ranges; and last the order of installation. A packet that no
 * policy matches gets {@code null}, which the data path treats as DISCARD (RFC 4301 section 5.1).
 *
 * <p><b>Lookup.</b> Per direction, an immutable snapshot holds a {@link PolicyIndex} per family, built from
 * all policies, plus a short delta of policies installed since the last build. A classification reads the
 * snapshot once (volatile), searches the index, then checks the delta: no lock, no allocation, and never a
 * scan of all policies. A write publishes a new snapshot; the index is rebuilt when the delta passes
 * {@link #DELTA_LIMIT} entries or too many indexed policies were removed, or once per {@link #update} batch.
 */
public final class SecurityPolicyDatabase {
    /** Policies kept outside the index before it is rebuilt; bounds the per-lookup delta scan. */
    public static final int DELTA_LIMIT = 16;

    private static final InstalledPolicy[] NO_POLICIES = new InstalledPolicy[0];

    private final SecurityAssociationDatabase sad;
    private final Map<String, InstalledPolicy> byId = new HashMap<>();
    private final Tables outbound = new Tables();
    private final Tables inbound = new Tables();
    private long nextSequence;

    public SecurityPolicyDatabase(SecurityAssociationDatabase sad) {
        this.sad = sad;
    }

    /** What a lookup reads: one consistent view. */
    private static final class Snapshot {
        static final Snapshot EMPTY = new Snapshot(null, null, NO_POLICIES);
        final PolicyIndex v4;
        final PolicyIndex v6;
        final InstalledPolicy[] delta;

        Snapshot(PolicyIndex v4, PolicyIndex v6, InstalledPolicy[] delta) {
            this.v4 = v4;
            this.v6 = v6;
            this.delta = delta;
        }
    }

    /** Per direction: the published snapshot and the writer's bookkeeping. */
    private static final class Tables {
        volatile Snapshot snapshot = Snapshot.EMPTY;
        final List<InstalledPolicy> indexed = new ArrayList<>();
        int removedSinceBuild;
    }

    /** The first policy in SPD order that matches an IPv4 packet, or null (discard). Lock-free. */
    public InstalledPolicy classifyV4(Direction direction, int src, int dst, int proto, int srcPort, int dstPort) {
        Snapshot s = (direction == Direction.OUTBOUND ? outbound : inbound).snapshot;
        InstalledPolicy best = s.v4 == null ? null : s.v4.lookupV4(src, dst, proto, srcPort, dstPort);
        InstalledPolicy[] delta = s.delta;
        for (int i = 0; i < delta.length; i++) {
            InstalledPolicy p = delta[i];
            if (!p.removed && (best == null || p.before(best)) && p.selector().matchesV4(src, dst, proto, srcPort, dstPort)) {
                best = p;
            }
        }
        return best;
    }

    /** As {@link #classifyV4}, for IPv6 addresses given as network-order long pairs. */
    public InstalledPolicy classifyV6(Direction direction, long srcHi, long srcLo, long dstHi, long dstLo,
                                      int proto, int srcPort, int dstPort) {
        Snapshot s = (direction == Direction.OUTBOUND ? outbound : inbound).snapshot;
        InstalledPolicy best = s.v6 == null ? null : s.v6.lookupV6(srcHi, srcLo, dstHi, dstLo, proto, srcPort, dstPort);
        InstalledPolicy[] delta = s.delta;
        for (int i = 0; i < delta.length; i++) {
            InstalledPolicy p = delta[i];
            if (!p.removed && (best == null || p.before(best))
                    && p.selector().matchesV6(srcHi, srcLo, dstHi, dstLo, proto, srcPort, dstPort)) {
                best = p;
            }
        }
        return best;
    }

    /**
     * Installs one policy. A PROTECT policy is bound to its reqid's outbound slot now, so that an SA
     * installed later (or a rekeyed one) is used without touching the SPD.
     *
     * @throws IllegalArgumentException when a policy with the same id exists
     */
    public synchronized InstalledPolicy add(SecurityPolicy policy) {
        InstalledPolicy p = register(policy);
        Tables t = tables(policy.direction());
        Snapshot s = t.snapshot;
        InstalledPolicy[] delta = Arrays.copyOf(s.delta, s.delta.length + 1);
        delta[delta.length - 1] = p;
        if (delta.length > DELTA_LIMIT) {
            rebuild(t, Arrays.asList(delta));
        } else {
            t.snapshot = new Snapshot(s.v4, s.v6, delta);
        }
        return p;
    }

    /** Removes a policy by id; false when there is none. */
    public synchronized boolean remove(String id) {
        InstalledPolicy p = byId.remove(id);
        if (p == null) {
            return false;
        }
        p.removed = true;
        Tables t = tables(p.policy().direction());
        Snapshot s = t.snapshot;
        int at = Arrays.asList(s.delta).indexOf(p);
        if (at >= 0) {
            InstalledPolicy[] delta = new InstalledPolicy[s.delta.length - 1];
            System.arraycopy(s.delta, 0, delta, 0, at);
            System.arraycopy(s.delta, at + 1, delta, at, delta.length - at);
            t.snapshot = new Snapshot(s.v4, s.v6, delta);
        } else {
            if (p.rank >= 0) {
                // Stops the index's "first policy matches all" shortcut from returning it.
                if (s.v4 != null) {
                    s.v4.markDead(p.rank);
                }
            }
            if (++t.removedSinceBuild > Math.max(DELTA_LIMIT, t.indexed.size() / 8)) {
            // Removed policies are skipped by lookups (their flag is set); rebuild to stop scanning past them.
                rebuild(t, Arrays.asList(s.delta));
            }
        }
        return true;
    }

    /** Applies many changes with one index rebuild per direction (configuration load, IKE bulk install). */
    public synchronized void update(Consumer<Batch> changes) {
        Batch b = new Batch();
        changes.accept(b);
        for (String id : b.removals) {
            InstalledPolicy p = byId.remove(id);
            if (p != null) {
                p.removed = true;
                Snapshot s = tables(p.policy().direction()).snapshot;
                if (p.rank >= 0 && s.v4 != null) {
                    s.v4.markDead(p.rank);
                }
            }
        }
        List<InstalledPolicy> addedOut = new ArrayList<>();
        List<InstalledPolicy> addedIn = new ArrayList<>();
        for (SecurityPolicy sp : b.additions) {
            InstalledPolicy p = register(sp);
            (sp.direction() == Direction.OUTBOUND ? addedOut : addedIn).add(p);
        }
        rebuild(outbound, concat(outbound.snapshot.delta, addedOut));
        rebuild(inbound, concat(inbound.snapshot.delta, addedIn));
    }

    /** Changes collected by {@link #update}. */
    public static final class Batch {
        private final List<SecurityPolicy> additions = new ArrayList<>();
        private final List<String> removals = new ArrayList<>();

        public Batch add(SecurityPolicy p) {
            additions.add(p);
            return this;
        }

        public Batch addAll(Collection<SecurityPolicy> ps) {
            additions.addAll(ps);
            return this;
        }

        public Batch remove(String id) {
            removals.add(id);
            return this;
        }
    }

    public synchronized InstalledPolicy get(String id) {
        return byId.get(id);
    }

    public synchronized int size() {
        return byId.size();
    }

    /** All installed policies of a direction, in SPD order. */
    public synchronized List<InstalledPolicy> ordered(Direction direction) {
        List<InstalledPolicy> out = new ArrayList<>();
        for (InstalledPolicy p : byId.values()) {
            if (p.policy().direction() == direction) {
                out.add(p);
            }
        }
        out.sort(InstalledPolicy::compare);
        return out;
    }

    private InstalledPolicy register(SecurityPolicy policy) {
        if (byId.containsKey(policy.id())) {
            throw new IllegalArgumentException("duplicate policy id '" + policy.id() + "'");
        }
        InstalledPolicy p = new InstalledPolicy(policy,
                policy.action() == PolicyAction.PROTECT ? sad.slot(policy.reqid()) : null, nextSequence++);
        byId.put(policy.id(), p);
        return p;
    }

    private Tables tables(Direction d) {
        return d == Direction.OUTBOUND ? outbound : inbound;
    }

    private static List<InstalledPolicy> concat(InstalledPolicy[] a, List<InstalledPolicy> b) {
        List<InstalledPolicy> out = new ArrayList<>(Arrays.asList(a));
        out.addAll(b);
        return out;
    }

    private static void rebuild(Tables t, List<InstalledPolicy> pending) {
        List<InstalledPolicy> all = new ArrayList<>(t.indexed.size() + pending.size());
        for (InstalledPolicy p : t.indexed) {
            if (!p.removed) {
                all.add(p);
            }
        }
        for (InstalledPolicy p : pending) {
            if (!p.removed) {
                all.add(p);
            }
        }
        all.sort(InstalledPolicy::compare);
        for (int i = 0; i < all.size(); i++) {
            all.get(i).rank = i;
        }
        t.indexed.clear();
        t.indexed.addAll(all);
        t.removedSinceBuild = 0;
        // One dead-flag array per snapshot, shared by both families' indexes (ranks are common).
        byte[] dead = new byte[all.size()];
        PolicyIndex v4 = all.isEmpty() ? null : PolicyIndexBuilder.build(all, false, dead);
        PolicyIndex v6 = all.isEmpty() ? null : PolicyIndexBuilder.build(all, true, dead);
        t.snapshot = new Snapshot(v4, v6, NO_POLICIES);
    }
}
