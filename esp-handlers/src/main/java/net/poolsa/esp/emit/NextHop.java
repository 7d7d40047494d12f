package net.poolsa.esp.emit;

import java.util.HexFormat;

/**
 * Where frames to one outer destination go: which ring, with which Ethernet header, and up to which IP packet size.
 * Immutable: {@link Neighbours} replaces it when the route, the neighbour or the link changes, and the event loop
 * reads the current one without a lock.
 */
final class NextHop {
    static final int ETH_HEADER = 14;
    static final int ETHERTYPE_IPV4 = 0x0800;
    static final int ETHERTYPE_IPV6 = 0x86DD;

    /** Index of the ring in {@link UplinkEmitter}'s array. */
    final int ring;
    /** Bytes 0-7 of the Ethernet header: the neighbour's MAC, then the first two bytes of ours. */
    final long header0;
    /** Bytes 8-15: the last four bytes of our MAC, the EtherType, and two bytes the IP packet then overwrites. */
    final long header1;
    /** The largest IP packet the link and the ring's slots take; a larger one goes to the raw socket. */
    final int maxPacket;
    final byte[] neighbourMac;
    final String link;

    NextHop(int ring, byte[] neighbourMac, byte[] ownMac, boolean v4, int maxPacket, String link) {
        this.ring = ring;
        this.neighbourMac = neighbourMac.clone();
        this.maxPacket = maxPacket;
        this.link = link;
        byte[] h = new byte[16];
        System.arraycopy(neighbourMac, 0, h, 0, 6);
        System.arraycopy(ownMac, 0, h, 6, 6);
        int type = v4 ? ETHERTYPE_IPV4 : ETHERTYPE_IPV6;
        h[12] = (byte) (type >>> 8);
        h[13] = (byte) type;
        this.header0 = word(h, 0);
        this.header1 = word(h, 8);
    }

    private static long word(byte[] b, int at) {
        long w = 0;
        for (int i = 0; i < 8; i++) {
            w = w << 8 | (b[at + i] & 0xff);
        }
        return w;
    }

    /** "aa:bb:cc:dd:ee:ff". */
    static String mac(byte[] mac) {
        return HexFormat.ofDelimiter(":").formatHex(mac);
    }

    @Override
    public String toString() {
        return "via " + link + " to " + mac(neighbourMac) + " (packets up to " + maxPacket + " bytes)";
    }
}
