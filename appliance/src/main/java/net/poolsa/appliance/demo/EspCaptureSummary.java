package net.poolsa.appliance.demo;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/**
 * Reads a tcpdump capture (pcap, Ethernet or raw IP) and tells, per ESP SPI, how many packets were seen and
 * when the first and last were (IPv4 and IPv6 outer headers; ESP in UDP/4500 included). Everything else is
 * counted as "other". Truncated or unknown records end the reading: the file is our own capture.
 */
final class EspCaptureSummary {
    /** One SPI on one link. */
    static final class SpiSeen {
        long packets;
        double firstSeconds = Double.MAX_VALUE;
        double lastSeconds;

        void add(double t) {
            packets++;
            firstSeconds = Math.min(firstSeconds, t);
            lastSeconds = Math.max(lastSeconds, t);
        }
    }

    final Map<Integer, SpiSeen> bySpi = new TreeMap<>((a, b) -> Integer.compareUnsigned(a, b));
    long otherPackets;

    static EspCaptureSummary read(Path pcap) throws IOException {
        EspCaptureSummary s = new EspCaptureSummary();
        if (!Files.exists(pcap)) {
            return s;
        }
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(pcap));
        if (b.remaining() < 24) {
            return s;
        }
        int magic = b.order(ByteOrder.LITTLE_ENDIAN).getInt(0);
        ByteOrder order;
        boolean nanos;
        if (magic == 0xa1b2c3d4 || magic == 0xa1b23c4d) {
            order = ByteOrder.LITTLE_ENDIAN;
            nanos = magic == 0xa1b23c4d;
        } else {
            order = ByteOrder.BIG_ENDIAN;
            int m = b.order(ByteOrder.BIG_ENDIAN).getInt(0);
            nanos = m == 0xa1b23c4d;
        }
        b.order(order);
        int linkType = b.getInt(20);
        ByteBuffer net = b.duplicate().order(ByteOrder.BIG_ENDIAN); // packet fields are in network order
        int at = 24;
        while (at + 16 <= b.limit()) {
            double t = (b.getInt(at) & 0xffffffffL) + (b.getInt(at + 4) & 0xffffffffL) / (nanos ? 1e9 : 1e6);
            int caplen = b.getInt(at + 8);
            int data = at + 16;
            if (caplen < 0 || data + caplen > b.limit()) {
                break;
            }
            int ip = data;
            int end = data + caplen;
            if (linkType == 1) { // Ethernet
                ip = data + 14;
                int type = net.getShort(data + 12) & 0xffff;
                if (ip > end || type != 0x0800 && type != 0x86dd) {
                    s.otherPackets++;
                    at = end;
                    continue;
                }
            }
            Integer spi = spiOf(net, ip, end);
            if (spi == null) {
                s.otherPackets++;
            } else {
                s.bySpi.computeIfAbsent(spi, k -> new SpiSeen()).add(t);
            }
            at = end;
        }
        return s;
    }

    private static Integer spiOf(ByteBuffer b, int ip, int end) {
        if (ip + 20 > end) {
            return null;
        }
        int version = (b.get(ip) & 0xff) >>> 4;
        int proto;
        int payload;
        if (version == 4) {
            proto = b.get(ip + 9) & 0xff;
            payload = ip + (b.get(ip) & 0x0f) * 4;
        } else if (version == 6 && ip + 40 <= end) {
            proto = b.get(ip + 6) & 0xff;
            payload = ip + 40;
        } else {
            return null;
        }
        if (proto == 17 && payload + 12 <= end && (b.getShort(payload + 2) & 0xffff) == 4500) {
            payload += 8; // RFC 3948: ESP in UDP; SPI 0 marks IKE
            proto = 50;
        }
        if (proto != 50 || payload + 4 > end) {
            return null;
        }
        int spi = b.getInt(payload);
        return spi == 0 ? null : spi;
    }

    long espPackets() {
        return bySpi.values().stream().mapToLong(x -> x.packets).sum();
    }
}
