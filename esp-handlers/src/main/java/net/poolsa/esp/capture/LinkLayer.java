package net.poolsa.esp.capture;

import org.pcap4j.packet.namednumber.DataLinkType;

/**
 * Where the IP packet starts in a captured frame, per libpcap link type (pcap-linktype(7)): Ethernet
 * (with up to two 802.1Q/802.1ad tags), Linux cooked captures and raw IP.
 */
final class LinkLayer {
    static final int ETHERNET = 1;
    static final int RAW = 12;
    static final int RAW_IP = 101;
    static final int LINUX_SLL = 113;

    private LinkLayer() {
    }

    static int code(DataLinkType dlt) {
        return dlt.value();
    }

    /** Offset of the IP header in {@code frame}, or -1 when the frame does not carry IPv4/IPv6. */
    static int ipOffset(int dlt, byte[] frame) {
        switch (dlt) {
            case ETHERNET: {
                int at = 12;
                for (int tags = 0; tags <= 2; tags++) {
                    if (frame.length < at + 2) {
                        return -1;
                    }
                    int type = ((frame[at] & 0xff) << 8) | (frame[at + 1] & 0xff);
                    if (type == 0x0800 || type == 0x86dd) {
                        return at + 2;
                    }
                    if (type != 0x8100 && type != 0x88a8) {
                        return -1;
                    }
                    at += 4;
                }
                return -1;
            }
            case LINUX_SLL: {
                if (frame.length < 16) {
                    return -1;
                }
                int type = ((frame[14] & 0xff) << 8) | (frame[15] & 0xff);
                return type == 0x0800 || type == 0x86dd ? 16 : -1;
            }
            case RAW:
            case RAW_IP:
                return 0;
            default:
                return -1;
        }
    }
}
