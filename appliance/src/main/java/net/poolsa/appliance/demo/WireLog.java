package net.poolsa.appliance.demo;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The packets of one tcpdump capture (classic pcap, Ethernet or raw IP links), each classified as ESP (with its SPI;
 * also ESP in UDP/4500, RFC 3948), IKE (UDP/500, or UDP/4500 behind the non-ESP marker; exchange type and flags from
 * the ISAKMP header, RFC 2408 §3.1 / RFC 7296 §3.1), SCTP (with the bytes of its DATA chunks, RFC 9260 §3.3.1) or
 * other (path probes, ARP). A truncated last record ends the reading: the file is our own capture, stopped while it
 * was being written.
 */
final class WireLog {
    enum Kind { ESP, IKE, SCTP, OTHER }

    /**
     * One packet: {@code micros} since the epoch, outer addresses as text, and per kind the SPI (ESP), the exchange
     * type and flags (IKE), or the DATA chunk payload bytes (SCTP).
     */
    record Packet(long micros, String source, String destination, Kind kind, long spi, int exchangeType, int ikeFlags,
                  int ikeVersion, int dataBytes, int length) {
        String spiHex() {
            return String.format("0x%08x", spi);
        }
    }

    private final List<Packet> packets;

    private WireLog(List<Packet> packets) {
        this.packets = packets;
    }

    List<Packet> packets() {
        return packets;
    }

    static WireLog read(Path pcap) throws IOException {
        List<Packet> out = new ArrayList<>();
        if (!Files.exists(pcap)) {
            return new WireLog(out);
        }
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(pcap));
        if (b.remaining() < 24) {
            return new WireLog(out);
        }
        int magicLe = b.order(ByteOrder.LITTLE_ENDIAN).getInt(0);
        int magicBe = b.order(ByteOrder.BIG_ENDIAN).getInt(0);
        ByteOrder order;
        boolean nanos;
        if (magicLe == 0xa1b2c3d4 || magicLe == 0xa1b23c4d) {
            order = ByteOrder.LITTLE_ENDIAN;
            nanos = magicLe == 0xa1b23c4d;
        } else if (magicBe == 0xa1b2c3d4 || magicBe == 0xa1b23c4d) {
            order = ByteOrder.BIG_ENDIAN;
            nanos = magicBe == 0xa1b23c4d;
        } else {
            throw new IOException(pcap + ": not a pcap file (magic " + Integer.toHexString(magicBe) + ")");
        }
        b.order(order);
        int linkType = b.getInt(20);
        ByteBuffer net = b.duplicate().order(ByteOrder.BIG_ENDIAN);
        int at = 24;
        while (at + 16 <= b.limit()) {
            long seconds = b.getInt(at) & 0xffffffffL;
            long fraction = b.getInt(at + 4) & 0xffffffffL;
            long micros = seconds * 1_000_000L + (nanos ? fraction / 1000 : fraction);
            int caplen = b.getInt(at + 8);
            int wireLength = b.getInt(at + 12);
            int data = at + 16;
            if (caplen < 0 || data + caplen > b.limit()) {
                break;
            }
            int end = data + caplen;
            int ip = data;
            boolean isIp = true;
            if (linkType == 1) {
                ip = data + 14;
                int type = ip <= end ? net.getShort(data + 12) & 0xffff : 0;
                isIp = type == 0x0800 || type == 0x86dd;
            } else if (linkType != 101 && linkType != 12) {
                isIp = false;
            }
            out.add(isIp ? classify(net, ip, end, micros, wireLength)
                    : new Packet(micros, "", "", Kind.OTHER, 0, 0, 0, 0, 0, wireLength));
            at = end;
        }
        return new WireLog(out);
    }

    private static Packet classify(ByteBuffer b, int ip, int end, long micros, int length) {
        if (ip + 20 > end) {
            return new Packet(micros, "", "", Kind.OTHER, 0, 0, 0, 0, 0, length);
        }
        int version = (b.get(ip) & 0xff) >>> 4;
        int proto;
        int l4;
        String src;
        String dst;
        if (version == 4) {
            proto = b.get(ip + 9) & 0xff;
            l4 = ip + (b.get(ip) & 0x0f) * 4;
            src = v4(b, ip + 12);
            dst = v4(b, ip + 16);
        } else if (version == 6 && ip + 40 <= end) {
            proto = b.get(ip + 6) & 0xff;
            l4 = ip + 40;
            src = v6(b, ip + 8);
            dst = v6(b, ip + 24);
        } else {
            return new Packet(micros, "", "", Kind.OTHER, 0, 0, 0, 0, 0, length);
        }
        if (proto == 50 && l4 + 4 <= end) {
            return new Packet(micros, src, dst, Kind.ESP, b.getInt(l4) & 0xffffffffL, 0, 0, 0, 0, length);
        }
        if (proto == 17 && l4 + 8 <= end) {
            int sport = b.getShort(l4) & 0xffff;
            int dport = b.getShort(l4 + 2) & 0xffff;
            int payload = l4 + 8;
            if (sport == 4500 || dport == 4500) {
                if (payload + 4 <= end && b.getInt(payload) != 0) {
                    return new Packet(micros, src, dst, Kind.ESP, b.getInt(payload) & 0xffffffffL, 0, 0, 0, 0, length);
                }
                if (payload + 4 <= end) {
                    return ike(b, payload + 4, end, micros, src, dst, length);
                }
            } else if (sport == 500 || dport == 500) {
                return ike(b, payload, end, micros, src, dst, length);
            }
        }
        if (proto == 132 && l4 + 12 <= end) {
            int data = 0;
            int chunk = l4 + 12;
            while (chunk + 4 <= end) {
                int type = b.get(chunk) & 0xff;
                int len = b.getShort(chunk + 2) & 0xffff;
                if (len < 4) {
                    break;
                }
                if (type == 0 && len > 16) {
                    data += len - 16;
                }
                chunk += (len + 3) & ~3;
            }
            return new Packet(micros, src, dst, Kind.SCTP, 0, 0, 0, 0, data, length);
        }
        return new Packet(micros, src, dst, Kind.OTHER, 0, 0, 0, 0, 0, length);
    }

    /** The ISAKMP header at {@code at}: 2 x 8-byte SPIs/cookies, next payload, version, exchange type, flags. */
    private static Packet ike(ByteBuffer b, int at, int end, long micros, String src, String dst, int length) {
        if (at + 28 > end) {
            return new Packet(micros, src, dst, Kind.OTHER, 0, 0, 0, 0, 0, length); // NAT-T keepalive (0xff) or runt
        }
        int version = (b.get(at + 17) & 0xff) >>> 4;
        return new Packet(micros, src, dst, Kind.IKE, 0, b.get(at + 18) & 0xff, b.get(at + 19) & 0xff, version, 0, length);
    }

    /** The name of an ISAKMP exchange type (RFC 2408 §3.1, RFC 2409, RFC 7296 §3.1). */
    static String exchangeName(int version, int type) {
        if (version == 2) {
            return switch (type) {
                case 34 -> "IKE_SA_INIT";
                case 35 -> "IKE_AUTH";
                case 36 -> "CREATE_CHILD_SA";
                case 37 -> "INFORMATIONAL";
                default -> "IKEv2 type " + type;
            };
        }
        return switch (type) {
            case 2 -> "Main Mode";
            case 4 -> "Aggressive Mode";
            case 5 -> "Informational";
            case 32 -> "Quick Mode";
            default -> "IKEv1 type " + type;
        };
    }

    private static String v4(ByteBuffer b, int at) {
        return (b.get(at) & 0xff) + "." + (b.get(at + 1) & 0xff) + "." + (b.get(at + 2) & 0xff) + "." + (b.get(at + 3) & 0xff);
    }

    private static String v6(ByteBuffer b, int at) {
        byte[] a = new byte[16];
        b.get(at, a);
        try {
            return java.net.InetAddress.getByAddress(a).getHostAddress();
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException(e); // 16 bytes is always an address
        }
    }
}
