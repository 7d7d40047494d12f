package net.poolsa.ike.transport;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * The kernel's drop counter of one UDP socket, from {@code /proc/net/udp} or {@code /proc/net/udp6} (last
 * column, {@code sk_drops}): datagrams a socket filter refused, or that found the receive queue full.
 */
final class KernelUdpDrops {
    private KernelUdpDrops() {
    }

    static long of(InetSocketAddress bound) throws IOException {
        boolean v4 = bound.getAddress() instanceof Inet4Address;
        String local = procAddress(bound.getAddress().getAddress()) + ":" + String.format(Locale.ROOT, "%04X", bound.getPort());
        List<String> lines = Files.readAllLines(Path.of(v4 ? "/proc/net/udp" : "/proc/net/udp6"));
        for (String line : lines.subList(1, lines.size())) {
            String[] f = line.trim().split("\\s+");
            if (f[1].equals(local)) {
                return Long.parseLong(f[f.length - 1]);
            }
        }
        throw new IllegalStateException("no UDP socket " + local + " in /proc/net/udp" + (v4 ? "" : "6"));
    }

    /** The kernel prints each 32-bit word of the address in host (little-endian) order. */
    private static String procAddress(byte[] a) {
        StringBuilder b = new StringBuilder();
        for (int w = 0; w < a.length; w += 4) {
            for (int i = 3; i >= 0; i--) {
                b.append(String.format(Locale.ROOT, "%02X", a[w + i] & 0xff));
            }
        }
        return b.toString();
    }
}
