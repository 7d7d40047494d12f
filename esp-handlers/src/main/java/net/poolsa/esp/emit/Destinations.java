package net.poolsa.esp.emit;

/**
 * The outer destinations the uplink emitter has sent IPsec to, each with its current {@link NextHop}.
 * The event loop finds and adds them (open addressing on the address, no allocation to find one);
 * {@link Neighbours} reads the append-only list of them from its own thread and sets their next hops.
 * Bounded: beyond {@link #capacity()} destinations (or the limit a caller gives), new ones are not added and their
 * packets take the raw socket.
 */
final class Destinations {
    /** One outer destination. Its address never changes; the next hop is published by {@link Neighbours}. */
    static final class Destination {
        /** 4 or 16 bytes, network order. */
        final byte[] address;
        /** Null while unresolved or unusable: packets then go through the raw socket. */
        volatile NextHop hop;
        /**
         * Bumped by {@link Neighbours} each time the kernel's neighbour entry is found stale: the next packet goes
         * through the raw socket, so that the kernel re-confirms the neighbour (a frame from the ring does not).
         */
        volatile int confirmRequests;
        /** Event loop only: the last {@link #confirmRequests} acted upon. */
        int confirmsSeen;
        /** {@link Neighbours} only: the route's interface and next-hop address. */
        int ifindex;
        byte[] via;
        /** Why the hop is what it is (for logs and status; written by {@link Neighbours}). */
        volatile String state = "unresolved";

        Destination(byte[] address) {
            this.address = address;
        }

        @Override
        public String toString() {
            return literal(address) + " " + state;
        }
    }

    private final Destination[] all;
    private volatile int count;
    private final int mask;
    private final int[] keys4;
    private final Destination[] slots4;
    private final long[] hi6;
    private final long[] lo6;
    private final Destination[] slots6;

    Destinations(int capacity) {
        this.all = new Destination[capacity];
        int slots = Integer.highestOneBit(Math.max(capacity, 2) * 2 - 1) << 1; // load at most 0.5
        this.mask = slots - 1;
        this.keys4 = new int[slots];
        this.slots4 = new Destination[slots];
        this.hi6 = new long[slots];
        this.lo6 = new long[slots];
        this.slots6 = new Destination[slots];
    }

    int capacity() {
        return all.length;
    }

    /** How many destinations exist (any thread). */
    int count() {
        return count;
    }

    /** The {@code i}-th destination added, {@code i < count()} (any thread). */
    Destination get(int i) {
        return all[i];
    }

    private static int home(long key) {
        return (int) ((key * 0x9E3779B97F4A7C15L) >>> 40);
    }

    /** Event loop: the destination of an IPv4 address (as {@code ByteBuf.getInt} reads it), or null. */
    Destination find4(int address) {
        for (int i = home(address) & mask; ; i = (i + 1) & mask) {
            Destination d = slots4[i];
            if (d == null || keys4[i] == address) {
                return d;
            }
        }
    }

    /** Event loop: adds an IPv4 destination not yet present; null when the table holds {@code limit} or more. */
    Destination add4(int address, int limit) {
        int n = count;
        if (n >= Math.min(limit, all.length)) {
            return null;
        }
        Destination d = new Destination(new byte[] {(byte) (address >>> 24), (byte) (address >>> 16), (byte) (address >>> 8),
                (byte) address});
        int i = home(address) & mask;
        while (slots4[i] != null) {
            i = (i + 1) & mask;
        }
        keys4[i] = address;
        slots4[i] = d;
        all[n] = d;
        count = n + 1; // publishes d to the resolver thread
        return d;
    }

    /** Event loop: the destination of an IPv6 address given as two big-endian longs, or null. */
    Destination find6(long hi, long lo) {
        for (int i = home(hi ^ Long.rotateLeft(lo, 29)) & mask; ; i = (i + 1) & mask) {
            Destination d = slots6[i];
            if (d == null || hi6[i] == hi && lo6[i] == lo) {
                return d;
            }
        }
    }

    /** Event loop: adds an IPv6 destination not yet present; null when the table holds {@code limit} or more. */
    Destination add6(long hi, long lo, int limit) {
        int n = count;
        if (n >= Math.min(limit, all.length)) {
            return null;
        }
        byte[] a = new byte[16];
        for (int k = 0; k < 8; k++) {
            a[k] = (byte) (hi >>> (56 - 8 * k));
            a[8 + k] = (byte) (lo >>> (56 - 8 * k));
        }
        Destination d = new Destination(a);
        int i = home(hi ^ Long.rotateLeft(lo, 29)) & mask;
        while (slots6[i] != null) {
            i = (i + 1) & mask;
        }
        hi6[i] = hi;
        lo6[i] = lo;
        slots6[i] = d;
        all[n] = d;
        count = n + 1;
        return d;
    }

    /** "192.0.2.1" or the IPv6 literal. */
    static String literal(byte[] address) {
        try {
            return java.net.InetAddress.getByAddress(address).getHostAddress();
        } catch (java.net.UnknownHostException e) {
            throw new IllegalArgumentException(e);
        }
    }
}
