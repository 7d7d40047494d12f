package net.poolsa.esp.sa;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Objects;

/**
 * One unidirectional IPsec SA whose outer endpoints are address pools (the paper's section 3.1): the
 * tuple {SPI, destination address, protocol} becomes {SPI, destination pool, protocol}, and any source
 * in the remote pool with any destination in the local pool (inbound), or the reverse (outbound), is the
 * same SA with the same keys.
 *
 * <p>Identity and configuration are final. What changes while traffic flows (counters, state, the outer
 * address in use, the transform context) is read without locks: counters with atomic adds, the rest
 * through volatile fields written by the control plane or the one data-path thread that owns the choice.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc4301#section-4.4.2.1">RFC 4301 §4.4.2.1 (SAD fields)</a>
 */
public final class SecurityAssociation {
    /** {@link #account(int)} result: nothing crossed. */
    public static final int LIFETIME_OK = 0;
    /** {@link #account(int)} result: this packet crossed a soft limit (reported once). */
    public static final int LIFETIME_SOFT = 1;
    /** {@link #account(int)} result: a hard limit is reached; the packet must not be sent or accepted. */
    public static final int LIFETIME_HARD = 2;

    private static final VarHandle PACKETS;
    private static final VarHandle BYTES;
    private static final VarHandle STATE;
    private static final VarHandle CONTEXT;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            PACKETS = l.findVarHandle(SecurityAssociation.class, "packets", long.class);
            BYTES = l.findVarHandle(SecurityAssociation.class, "bytes", long.class);
            STATE = l.findVarHandle(SecurityAssociation.class, "state", SaState.class);
            CONTEXT = l.findVarHandle(SecurityAssociation.class, "transformContext", TransformContext.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final int spi;
    private final IpsecProtocol protocol;
    private final SaMode mode;
    private final Direction direction;
    private final int reqid;
    private final AddressPool localOuter;
    private final AddressPool remoteOuter;
    private final TrafficSelector selector;
    private final SaKeys keys;
    private final Lifetime lifetime;
    private final boolean extendedSequenceNumbers;
    private final int replayWindow;
    // Null without UDP encapsulation. The sequence number that moved the port is kept with the ports, so that an
    // SA without NAT-T carries no field for it (bytes per SA, docs/benchmarks.md §1).
    private volatile NatMapping natMapping;
    private final long createdNanos;

    private volatile long packets;
    private volatile long bytes;
    private volatile SaState state = SaState.ACTIVE;
    private volatile OuterAddress currentRemote;
    private volatile OuterAddress currentLocal;
    private volatile long outerSwitches;
    private volatile long lastInboundNanos;
    private volatile TransformContext transformContext;
    private volatile StateObserver stateObserver;
    private final LastOuterAddresses lastInboundOuter = new LastOuterAddresses();

    private SecurityAssociation(Builder b) {
        this.spi = b.spi;
        this.protocol = Objects.requireNonNull(b.protocol, "protocol");
        this.mode = Objects.requireNonNull(b.mode, "mode");
        this.direction = Objects.requireNonNull(b.direction, "direction");
        this.reqid = b.reqid;
        this.localOuter = Objects.requireNonNull(b.localOuter, "local outer pool");
        this.remoteOuter = Objects.requireNonNull(b.remoteOuter, "remote outer pool");
        this.selector = Objects.requireNonNull(b.selector, "traffic selector");
        this.keys = Objects.requireNonNull(b.keys, "keys");
        this.lifetime = Objects.requireNonNull(b.lifetime, "lifetime");
        this.extendedSequenceNumbers = b.esn;
        this.replayWindow = b.replayWindow;
        this.natMapping = b.udpEncapsulation == null ? null : new NatMapping(b.udpEncapsulation, 0);
        this.createdNanos = b.createdNanos;
        if (Integer.compareUnsigned(spi, 256) < 0) {
            throw new IllegalArgumentException("SPI " + Integer.toUnsignedString(spi)
                    + " is reserved (RFC 4303 §2.1: 0 is local-use, 1-255 are IANA-reserved)");
        }
        if (localOuter.isEmpty() || remoteOuter.isEmpty()) {
            throw new IllegalArgumentException("SA 0x" + Integer.toHexString(spi) + " has an empty outer pool");
        }
        if (replayWindow < 0 || replayWindow > 1 << 20) {
            throw new IllegalArgumentException("replay window " + replayWindow + " is not within 0-" + (1 << 20));
        }
        if (natMapping != null && protocol != IpsecProtocol.ESP) {
            throw new IllegalArgumentException("UDP encapsulation applies to ESP only");
        }
        if (b.currentRemote != null) {
            setCurrentRemote(b.currentRemote);
        }
        if (b.currentLocal != null) {
            setCurrentLocal(b.currentLocal);
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    public int spi() {
        return spi;
    }

    public String spiHex() {
        return String.format("0x%08x", spi);
    }

    public IpsecProtocol protocol() {
        return protocol;
    }

    public SaMode mode() {
        return mode;
    }

    public Direction direction() {
        return direction;
    }

    /** Ties the SA to its policies (as XFRM's reqid): SAs with the same reqid are rekeyed generations. */
    public int reqid() {
        return reqid;
    }

    /** Our own outer addresses: destinations of inbound packets, sources of outbound ones. */
    public AddressPool localOuter() {
        return localOuter;
    }

    /** The peer's outer addresses: sources of inbound packets, destinations of outbound ones. */
    public AddressPool remoteOuter() {
        return remoteOuter;
    }

    /** Inner traffic in the SA's direction: for inbound, source is the peer's protected pool. */
    public TrafficSelector selector() {
        return selector;
    }

    public SaKeys keys() {
        return keys;
    }

    public Lifetime lifetime() {
        return lifetime;
    }

    public boolean extendedSequenceNumbers() {
        return extendedSequenceNumbers;
    }

    public int replayWindow() {
        return replayWindow;
    }

    /** RFC 3948 encapsulation, or null for plain ESP/AH over IP. */
    public UdpEncapsulation udpEncapsulation() {
        NatMapping m = natMapping;
        return m == null ? null : m.ports;
    }

    /**
     * The NAT in front of the peer now maps it to {@code remotePort} (its mapping expired or the NAT restarted, and
     * an authenticated packet came from the new port): UDP-encapsulated packets of this SA go there from now on, as
     * RFC 7296 §2.23 asks of a host that is not behind the NAT. Returns the previous port, or -1 when this SA has no
     * UDP encapsulation or already uses that port.
     */
    public int followRemotePort(int remotePort) {
        NatMapping m = natMapping;
        return m == null ? -1 : moveRemotePort(m, remotePort, m.movedBySequence);
    }

    /**
     * As {@link #followRemotePort(int)} for an inbound SA whose authenticated packet with sequence number
     * {@code sequence} came from {@code remotePort}: only a packet sent after the one that set the current port moves
     * it, so a packet of the old mapping that was overtaken in flight does not move it back.
     */
    public int followRemotePort(int remotePort, long sequence) {
        NatMapping m = natMapping;
        if (m == null || Long.compareUnsigned(sequence, m.movedBySequence) <= 0) {
            return -1;
        }
        return moveRemotePort(m, remotePort, sequence);
    }

    private int moveRemotePort(NatMapping m, int remotePort, long sequence) {
        UdpEncapsulation e = m.ports;
        if (e.remotePort() == remotePort) {
            return -1;
        }
        natMapping = new NatMapping(new UdpEncapsulation(e.localPort(), remotePort), sequence);
        return e.remotePort();
    }

    /** The UDP ports of an encapsulated SA, and (inbound) the sequence number of the packet that moved the remote one. */
    private record NatMapping(UdpEncapsulation ports, long movedBySequence) {
    }

    public long createdNanos() {
        return createdNanos;
    }

    public long packets() {
        return packets;
    }

    public long bytes() {
        return bytes;
    }

    public SaState state() {
        return state;
    }

    /** True while the SA may carry traffic (active or soft-expired). */
    public boolean usable() {
        SaState s = state;
        return s == SaState.ACTIVE || s == SaState.SOFT_EXPIRED;
    }

    /** Inbound check of the outer header, IPv4: the source is in the peer's pool, the destination in ours. */
    public boolean outerMatchesV4(int source, int destination) {
        return remoteOuter.containsV4(source) && localOuter.containsV4(destination);
    }

    public boolean outerMatchesV6(long srcHi, long srcLo, long dstHi, long dstLo) {
        return remoteOuter.containsV6(srcHi, srcLo) && localOuter.containsV6(dstHi, dstLo);
    }

    /**
     * Counts one packet of {@code length} bytes against the counters and lifetimes.
     *
     * @return {@link #LIFETIME_OK}, {@link #LIFETIME_SOFT} (first crossing of a soft limit) or {@link #LIFETIME_HARD}
     */
    public int account(int length) {
        long p = (long) PACKETS.getAndAdd(this, 1L) + 1;
        long b = (long) BYTES.getAndAdd(this, (long) length) + length;
        Lifetime lt = lifetime;
        if ((lt.hardPackets() != 0 && p > lt.hardPackets()) || (lt.hardBytes() != 0 && b > lt.hardBytes())) {
            expire();
            return LIFETIME_HARD;
        }
        if ((lt.softPackets() != 0 && p >= lt.softPackets()) || (lt.softBytes() != 0 && b >= lt.softBytes())) {
            return markSoftExpired() ? LIFETIME_SOFT : LIFETIME_OK;
        }
        return LIFETIME_OK;
    }

    /**
     * Checks the time lifetimes at {@code nowNanos}.
     *
     * @return as {@link #account(int)}
     */
    public int checkTime(long nowNanos) {
        long age = (nowNanos - createdNanos) / 1_000_000_000L;
        if (lifetime.hardSeconds() != 0 && age >= lifetime.hardSeconds()) {
            return expire() ? LIFETIME_HARD : LIFETIME_OK;
        }
        if (lifetime.softSeconds() != 0 && age >= lifetime.softSeconds()) {
            return markSoftExpired() ? LIFETIME_SOFT : LIFETIME_OK;
        }
        return LIFETIME_OK;
    }

    /** Moves ACTIVE to SOFT_EXPIRED; true only for the caller that made the move. */
    public boolean markSoftExpired() {
        if (STATE.compareAndSet(this, SaState.ACTIVE, SaState.SOFT_EXPIRED)) {
            notifyState(SaState.SOFT_EXPIRED);
            return true;
        }
        return false;
    }

    /** Stops the SA from carrying traffic (hard lifetime, sequence number exhausted); true if this call did it. */
    public boolean expire() {
        while (true) {
            SaState s = state;
            if (s == SaState.EXPIRED || s == SaState.DEAD) {
                return false;
            }
            if (STATE.compareAndSet(this, s, SaState.EXPIRED)) {
                notifyState(SaState.EXPIRED);
                return true;
            }
        }
    }

    /** Told of each lifetime transition, once, on the thread that caused it (often the data path). */
    @FunctionalInterface
    public interface StateObserver {
        void stateChanged(SecurityAssociation sa, SaState state);
    }

    /**
     * Set by the SAD that holds the SA. A transition that happened before is replayed at once, so that an SA
     * that expired between its creation and its installation is not missed.
     */
    public void observeState(StateObserver observer) {
        this.stateObserver = observer;
        SaState s = state;
        if (observer != null && (s == SaState.SOFT_EXPIRED || s == SaState.EXPIRED)) {
            observer.stateChanged(this, s);
        }
    }

    private void notifyState(SaState s) {
        StateObserver o = stateObserver;
        if (o != null) {
            o.stateChanged(this, s);
        }
    }

    /** Called by the SAD when the SA is removed: no more traffic, key material zeroed. */
    public void kill() {
        state = SaState.DEAD;
        keys.destroy();
        TransformContext ctx = transformContext;
        if (ctx != null) {
            ctx.close();
        }
    }

    /** The outer destination in use for an outbound tunnel SA, chosen by the data path; null if none yet. */
    public OuterAddress currentRemote() {
        return currentRemote;
    }

    public OuterAddress currentLocal() {
        return currentLocal;
    }

    /**
     * Switches the outer destination to another address of the remote pool: same SA, same SPI, same keys.
     *
     * @return true when the address changed (a continuity switch), false when it was already in use
     * @throws IllegalArgumentException when the address lies outside the remote pool
     */
    public boolean setCurrentRemote(OuterAddress address) {
        if (!address.in(remoteOuter)) {
            throw new IllegalArgumentException(address + " is outside the remote pool " + remoteOuter + " of SA " + spiHex());
        }
        OuterAddress old = currentRemote;
        if (address.equals(old)) {
            return false;
        }
        currentRemote = address;
        if (old != null) {
            outerSwitches++;
        }
        return old != null;
    }

    public boolean setCurrentLocal(OuterAddress address) {
        if (!address.in(localOuter)) {
            throw new IllegalArgumentException(address + " is outside the local pool " + localOuter + " of SA " + spiHex());
        }
        OuterAddress old = currentLocal;
        if (address.equals(old)) {
            return false;
        }
        // Not counted as a switch: a failover changes the local address together with the remote one, and
        // the peer sees a move of ours as its own remote switch.
        currentLocal = address;
        return old != null;
    }

    /**
     * Moves the SA to another pair of outer addresses of its pools (path failover): same SA, same SPI, same keys.
     * Counted as one switch when either address changed and the SA had a pair before; call it from the one thread
     * that owns the choice (the data path), since the two addresses are written one after the other.
     *
     * @return true when the pair changed
     * @throws IllegalArgumentException when an address lies outside its pool
     */
    public boolean setCurrentPath(OuterAddress local, OuterAddress remote) {
        if (!local.in(localOuter) || !remote.in(remoteOuter)) {
            throw new IllegalArgumentException(local + " -> " + remote + " is outside the pools [" + localOuter + "] -> ["
                    + remoteOuter + "] of SA " + spiHex());
        }
        OuterAddress oldLocal = currentLocal;
        OuterAddress oldRemote = currentRemote;
        if (local.equals(oldLocal) && remote.equals(oldRemote)) {
            return false;
        }
        currentLocal = local;
        currentRemote = remote;
        if (oldRemote != null) {
            outerSwitches++;
        }
        return true;
    }

    /** How often the outer destination in use changed without a new SA (tunnel continuity). */
    public long outerSwitches() {
        return outerSwitches;
    }

    public void markInbound(long nowNanos) {
        lastInboundNanos = nowNanos;
    }

    public long lastInboundNanos() {
        return lastInboundNanos;
    }

    /** Inbound SAs: the outer source and destination of the last authenticated packet (recorded by the data path). */
    public LastOuterAddresses lastInboundOuter() {
        return lastInboundOuter;
    }

    /** Per-SA state of the transform layer (cipher contexts, sequence numbers, replay window); null before it is made. */
    public TransformContext transformContext() {
        return transformContext;
    }

    /**
     * Installs {@code context} unless another one is installed already, without a lock.
     *
     * @return the context in place: {@code context}, or the one another thread installed first (the caller then
     *         closes its own). A context installed while the SA is being killed is closed here or by
     *         {@link #kill()}, whichever comes second, so no key copy survives the SA.
     */
    public TransformContext installTransformContext(TransformContext context) {
        if (CONTEXT.compareAndSet(this, null, context)) {
            if (state == SaState.DEAD) {
                context.close();
            }
            return context;
        }
        return transformContext;
    }

    /** SPI, protocol, direction, mode, pools and algorithms; never key bytes. */
    @Override
    public String toString() {
        return "SA{" + spiHex() + " " + protocol + " " + direction.name().toLowerCase() + " " + mode.name().toLowerCase()
                + " reqid " + reqid + " local [" + localOuter + "] remote [" + remoteOuter + "] ts " + selector
                + " " + keys + " " + state + "}";
    }

    /** Collects SA fields; {@link #build()} validates them. */
    public static final class Builder {
        private int spi;
        private IpsecProtocol protocol = IpsecProtocol.ESP;
        private SaMode mode = SaMode.TUNNEL;
        private Direction direction;
        private int reqid;
        private AddressPool localOuter;
        private AddressPool remoteOuter;
        private TrafficSelector selector;
        private SaKeys keys;
        private Lifetime lifetime = Lifetime.UNLIMITED;
        private boolean esn;
        private int replayWindow = 1024;
        private UdpEncapsulation udpEncapsulation;
        private long createdNanos = System.nanoTime();
        private OuterAddress currentRemote;
        private OuterAddress currentLocal;

        private Builder() {
        }

        public Builder spi(int v) {
            spi = v;
            return this;
        }

        public Builder protocol(IpsecProtocol v) {
            protocol = v;
            return this;
        }

        public Builder mode(SaMode v) {
            mode = v;
            return this;
        }

        public Builder direction(Direction v) {
            direction = v;
            return this;
        }

        public Builder reqid(int v) {
            reqid = v;
            return this;
        }

        public Builder localOuter(AddressPool v) {
            localOuter = v;
            return this;
        }

        public Builder remoteOuter(AddressPool v) {
            remoteOuter = v;
            return this;
        }

        public Builder selector(TrafficSelector v) {
            selector = v;
            return this;
        }

        public Builder keys(SaKeys v) {
            keys = v;
            return this;
        }

        public Builder lifetime(Lifetime v) {
            lifetime = v;
            return this;
        }

        public Builder extendedSequenceNumbers(boolean v) {
            esn = v;
            return this;
        }

        public Builder replayWindow(int v) {
            replayWindow = v;
            return this;
        }

        public Builder udpEncapsulation(UdpEncapsulation v) {
            udpEncapsulation = v;
            return this;
        }

        public Builder createdNanos(long v) {
            createdNanos = v;
            return this;
        }

        /** The outer destination to start with; must lie in the remote pool. */
        public Builder currentRemote(OuterAddress v) {
            currentRemote = v;
            return this;
        }

        public Builder currentLocal(OuterAddress v) {
            currentLocal = v;
            return this;
        }

        public SecurityAssociation build() {
            return new SecurityAssociation(this);
        }
    }
}
