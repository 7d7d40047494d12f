package net.poolsa.esp.sad;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.IntSupplier;

import net.poolsa.esp.event.DropReason;
import net.poolsa.esp.event.DropListener;
import net.poolsa.esp.sa.AddressPool;
import net.poolsa.esp.sa.Direction;
import net.poolsa.esp.sa.IpsecProtocol;
import net.poolsa.esp.sa.SaState;
import net.poolsa.esp.sa.SecurityAssociation;

/**
 * The SAD of pool SAs (RFC 4301 section 4.4.2, with the paper's pools as outer endpoints).
 *
 * <p>Inbound: the SPI finds the SA in O(1) ({@link SpiTable}), then the packet's outer source must lie in
 * the SA's remote pool and its destination in the local pool. Any pair of the two pools is valid: a
 * multihomed peer may send from any of its addresses to any of ours (usrsctp does exactly that).
 * SPIs are unique across ESP and AH here because this SAD allocates them, so the protocol is checked
 * after the SPI rather than being part of the key.
 *
 * <p>Outbound SAs are found through their reqid's {@link OutboundSlot}, which the SPD's PROTECT entries
 * hold directly: classification never looks an SA up by address.
 *
 * <p>Lookups take no lock and allocate nothing. Writers (install, rekey, delete) serialize on this object.
 */
public final class SecurityAssociationDatabase {
    private final SpiTable inbound = new SpiTable();
    private final Map<Integer, OutboundSlot> slots = new HashMap<>();
    /** Every installed outbound SA, republished by each outbound write: read without the lock. */
    private volatile List<SecurityAssociation> outboundSas = List.of();
    private static final int HOME_SLOT_ATTEMPTS = 64;
    private static final int PREFERRED_CELLS = 2;

    private final Set<Integer> reservedSpis = new HashSet<>();
    private final IntSupplier spiSource;
    private volatile SecurityAssociation.StateObserver lifetimeObserver;
    private volatile ChangeObserver changeObserver = ChangeObserver.NONE;

    /**
     * Told of every SA installed or removed, on the writer's thread while it holds the SAD's monitor: path
     * monitoring keeps its index of outbound SAs by path from it instead of copying the SAD. Must not block.
     */
    public interface ChangeObserver {
        ChangeObserver NONE = new ChangeObserver() {
            @Override
            public void installed(SecurityAssociation sa) {
            }

            @Override
            public void removed(SecurityAssociation sa) {
            }
        };

        void installed(SecurityAssociation sa);

        void removed(SecurityAssociation sa);
    }

    public SecurityAssociationDatabase() {
        this(new SecureRandom()::nextInt);
    }

    /** @param spiSource randomness for SPI allocation, injectable so tests can replay an exchange */
    public SecurityAssociationDatabase(IntSupplier spiSource) {
        this.spiSource = spiSource;
    }

    /**
     * Inbound lookup for an IPv4 outer header. Returns the SA, or null after reporting why to {@code listener}:
     * {@link DropReason#UNKNOWN_SPI}, {@link DropReason#POOL_MISMATCH} or {@link DropReason#SA_EXPIRED}.
     */
    public SecurityAssociation lookupInboundV4(int spi, int ipProtocol, int source, int destination, DropListener listener) {
        return inbound.lookupV4(spi, ipProtocol, source, destination, listener);
    }

    /** As {@link #lookupInboundV4}, for an IPv6 outer header. */
    public SecurityAssociation lookupInboundV6(int spi, int ipProtocol, long srcHi, long srcLo, long dstHi, long dstLo,
                                               DropListener listener) {
        return inbound.lookupV6(spi, ipProtocol, srcHi, srcLo, dstHi, dstLo, listener);
    }

    /** The inbound SA with this SPI regardless of addresses, or null. Lock-free. */
    public SecurityAssociation inbound(int spi) {
        return inbound.get(spi);
    }

    /** The slot of a reqid, created empty if needed (a PROTECT policy may come before its SA). */
    public synchronized OutboundSlot slot(int reqid) {
        return slots.computeIfAbsent(reqid, OutboundSlot::new);
    }

    /**
     * Reserves a fresh inbound SPI: random, never 0-255, unique among installed and reserved SPIs, and
     * (unless 64 draws fail) one whose home in the SPI table has room for an SA whose pools fit two cells:
     * IPv4 up to five prefixes in all (the paper's multihomed host: two local and one remote), or IPv6 one
     * local and one remote prefix, or in a table of 2^14 cells or more the IPv6 multihomed host (two and one,
     * compact). {@link #allocateSpi(AddressPool, AddressPool)} fits the room to the pools.
     * The reservation lasts until an SA with it is installed or {@link #releaseSpi(int)} is called.
     */
    public synchronized int allocateSpi() {
        return allocateSpi(PREFERRED_CELLS);
    }

    /**
     * As {@link #allocateSpi()}, choosing an SPI whose home has room for the SA these outer pools make, so
     * that it is found in its first cells with its pools inline (up to four prefixes a side, IPv4 or IPv6
     * up to /64; see {@code SlotLayout}); the paper's multihomed SA (two /32s, one prefix) then takes one
     * compact cell there.
     */
    public synchronized int allocateSpi(AddressPool localOuter, AddressPool remoteOuter) {
        return allocateSpi(inbound.cellsAtHome(localOuter, remoteOuter));
    }

    private int allocateSpi(int cells) {
        for (int attempt = 0; attempt < 1_000_000; attempt++) {
            int spi = spiSource.getAsInt();
            if (Integer.compareUnsigned(spi, 256) < 0 || reservedSpis.contains(spi) || inbound.get(spi) != null) {
                continue;
            }
            // The receiver chooses the SPI (RFC 4301 §4.1), so choose one whose home cell in the SPI table
            // is empty, with room for the entry: its packets then never probe past the first cell, which at a
            // million SAs saves a mispredicted branch and often a second cache line per packet
            // (docs/benchmarks.md §1). Growing the table keeps such an SA at home; the table is at most half
            // full, so this takes about two draws for one cell and four for two.
            if (attempt < HOME_SLOT_ATTEMPTS && !inbound.homeCellsFree(spi, attempt < HOME_SLOT_ATTEMPTS / 2 ? cells : 1)) {
                continue;
            }
            reservedSpis.add(spi);
            return spi;
        }
        throw new IllegalStateException("no free SPI found: the SPI source is not random or the SAD is full");
    }

    public synchronized void releaseSpi(int spi) {
        reservedSpis.remove(spi);
    }

    /**
     * Installs an SA. Inbound SAs must have an SPI that is free or reserved by {@link #allocateSpi()}.
     * An outbound SA becomes the current one of its reqid; the previous generation stays until deleted.
     *
     * @throws IllegalArgumentException on a duplicate inbound SPI
     */
    public synchronized void install(SecurityAssociation sa) {
        if (sa.direction() == Direction.INBOUND) {
            SecurityAssociation existing = inbound.get(sa.spi());
            if (existing != null) {
                throw new IllegalArgumentException("duplicate inbound SPI " + sa.spiHex() + ": already used by " + existing);
            }
            reservedSpis.remove(sa.spi());
            inbound.put(sa);
        } else {
            OutboundSlot slot = slots.computeIfAbsent(sa.reqid(), OutboundSlot::new);
            for (SecurityAssociation g : slot.generations()) {
                if (g.spi() == sa.spi() && g.protocol() == sa.protocol()) {
                    throw new IllegalArgumentException("duplicate outbound SPI " + sa.spiHex() + " for reqid " + sa.reqid());
                }
            }
            slot.add(sa);
            publishOutbound();
        }
        // Lifetimes are crossed on the data path (bytes, packets, sequence exhaustion) or by the timer.
        sa.observeState(this::stateChanged);
        changeObserver.installed(sa);
    }

    /** Where installs and removals are reported (one observer; null: none). */
    public void setChangeObserver(ChangeObserver observer) {
        this.changeObserver = observer == null ? ChangeObserver.NONE : observer;
    }

    /** Where lifetime transitions of installed SAs go (the kernel forwards them to IKE). */
    public void setLifetimeObserver(SecurityAssociation.StateObserver observer) {
        this.lifetimeObserver = observer;
    }

    private void stateChanged(SecurityAssociation sa, SaState state) {
        if (state == SaState.EXPIRED && sa.direction() == Direction.INBOUND) {
            // Lookups then refuse the SA from the table slot, without reading the SA object.
            markExpired(sa);
        }
        SecurityAssociation.StateObserver o = lifetimeObserver;
        if (o != null) {
            o.stateChanged(sa, state);
        }
    }

    private synchronized void markExpired(SecurityAssociation sa) {
        inbound.markExpired(sa);
    }

    /** Removes the inbound SA with this SPI and protocol; its keys are zeroed. Returns it, or null. */
    public synchronized SecurityAssociation removeInbound(int spi, IpsecProtocol protocol) {
        SecurityAssociation sa = inbound.get(spi);
        if (sa == null || sa.protocol() != protocol) {
            return null;
        }
        inbound.remove(spi);
        sa.kill();
        changeObserver.removed(sa);
        return sa;
    }

    /** Removes an outbound SA of a reqid; outbound traffic falls back to the newest remaining generation. */
    public synchronized SecurityAssociation removeOutbound(int reqid, int spi, IpsecProtocol protocol) {
        OutboundSlot slot = slots.get(reqid);
        if (slot == null) {
            return null;
        }
        for (SecurityAssociation g : slot.generations()) {
            if (g.spi() == spi && g.protocol() == protocol) {
                slot.remove(g);
                publishOutbound();
                g.kill();
                changeObserver.removed(g);
                return g;
            }
        }
        return null;
    }

    /** Removes whichever table holds {@code sa}. */
    public synchronized boolean remove(SecurityAssociation sa) {
        if (sa.direction() == Direction.INBOUND) {
            return inbound.get(sa.spi()) == sa && removeInbound(sa.spi(), sa.protocol()) != null;
        }
        return removeOutbound(sa.reqid(), sa.spi(), sa.protocol()) != null;
    }

    /**
     * The installed outbound SAs as of the last outbound install or removal: an immutable list, read without a lock
     * and without a copy (path monitoring walks it every probe interval on the event loop, which must not wait for
     * a control-plane writer).
     */
    public List<SecurityAssociation> outboundSas() {
        return outboundSas;
    }

    private void publishOutbound() {
        List<SecurityAssociation> all = new ArrayList<>();
        for (OutboundSlot s : slots.values()) {
            all.addAll(s.generations());
        }
        outboundSas = List.copyOf(all);
    }

    /** A consistent copy of all installed SAs, inbound first (control plane: status, expiry). */
    public synchronized List<SecurityAssociation> snapshot() {
        List<SecurityAssociation> all = new ArrayList<>(inbound.size());
        inbound.forEach(all::add);
        for (OutboundSlot s : slots.values()) {
            all.addAll(s.generations());
        }
        return all;
    }

    public synchronized int inboundCount() {
        return inbound.size();
    }

    /** Inbound SAs that sit past their home cell of the SPI table (tests). */
    synchronized int inboundDisplaced() {
        return inbound.displaced();
    }

    /** Cells of the SPI table (tests: the home cell of an SPI is the top log2 of this many bits of its hash). */
    synchronized int inboundCapacity() {
        return inbound.capacity();
    }

    /** How the inbound SA with this SPI is laid out in the SPI table (tests; see {@code SpiTable.layoutOf}). */
    synchronized String inboundLayout(int spi) {
        return inbound.layoutOf(spi);
    }

    public synchronized int outboundCount() {
        int n = 0;
        for (OutboundSlot s : slots.values()) {
            n += s.generations().size();
        }
        return n;
    }

    /** Removes every SA, zeroing all keys (shutdown). */
    public synchronized void clear() {
        for (SecurityAssociation sa : snapshot()) {
            remove(sa);
        }
        reservedSpis.clear();
    }
}
