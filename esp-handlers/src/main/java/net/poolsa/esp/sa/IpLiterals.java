package net.poolsa.esp.sa;

import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * Strict parsing of IP address literals. Never resolves a name: configuration and IKE identities carry
 * literals only, and a DNS lookup from the control plane would block and leak intent.
 */
public final class IpLiterals {
    private IpLiterals() {
    }

    /** Parses a dotted-quad IPv4 or an RFC 4291 IPv6 literal; anything else is rejected with the value named. */
    public static byte[] parse(String text) {
        String s = text.trim();
        if (s.isEmpty()) {
            throw new IllegalArgumentException("empty address");
        }
        if (s.indexOf(':') < 0) {
            return parseV4(s, text);
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ':' || c == '.';
            if (!ok) {
                throw new IllegalArgumentException("'" + text + "' is not an IP address literal");
            }
        }
        try {
            // A string containing ':' is only ever treated as a literal by InetAddress: no resolver call.
            byte[] b = InetAddress.getByName(s).getAddress();
            if (b.length != 16) {
                // "::ffff:a.b.c.d" is folded to IPv4 by the JDK; keep the family the operator wrote.
                byte[] v6 = new byte[16];
                v6[10] = (byte) 0xff;
                v6[11] = (byte) 0xff;
                System.arraycopy(b, 0, v6, 12, 4);
                return v6;
            }
            return b;
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("'" + text + "' is not an IPv6 address literal", e);
        }
    }

    private static byte[] parseV4(String s, String original) {
        byte[] out = new byte[4];
        int part = 0;
        int value = -1;
        int digits = 0;
        for (int i = 0; i <= s.length(); i++) {
            char c = i < s.length() ? s.charAt(i) : '.';
            if (c == '.') {
                if (value < 0 || part > 3) {
                    throw new IllegalArgumentException("'" + original + "' is not an IPv4 address literal");
                }
                out[part++] = (byte) value;
                value = -1;
                digits = 0;
            } else if (c >= '0' && c <= '9') {
                // Leading zeros are refused: inet_aton reads them as octal, so "010" is ambiguous.
                if (digits == 1 && value == 0) {
                    throw new IllegalArgumentException("'" + original + "' has a leading zero in an octet");
                }
                value = (value < 0 ? 0 : value * 10) + (c - '0');
                if (++digits > 3 || value > 255) {
                    throw new IllegalArgumentException("'" + original + "' has an octet above 255");
                }
            } else {
                throw new IllegalArgumentException("'" + original + "' is not an IPv4 address literal");
            }
        }
        if (part != 4) {
            throw new IllegalArgumentException("'" + original + "' is not an IPv4 address literal");
        }
        return out;
    }

    /** The IPv4 address as an int in network order (the int a decoder reads with getInt). */
    public static int v4(byte[] a) {
        return ((a[0] & 0xff) << 24) | ((a[1] & 0xff) << 16) | ((a[2] & 0xff) << 8) | (a[3] & 0xff);
    }

    public static long v6hi(byte[] a) {
        return word(a, 0);
    }

    public static long v6lo(byte[] a) {
        return word(a, 8);
    }

    private static long word(byte[] a, int off) {
        long r = 0;
        for (int i = 0; i < 8; i++) {
            r = (r << 8) | (a[off + i] & 0xff);
        }
        return r;
    }

    public static String v4ToString(int a) {
        return ((a >>> 24) & 0xff) + "." + ((a >>> 16) & 0xff) + "." + ((a >>> 8) & 0xff) + "." + (a & 0xff);
    }

    public static InetAddress v4ToInet(int a) {
        try {
            return InetAddress.getByAddress(new byte[] {(byte) (a >>> 24), (byte) (a >>> 16), (byte) (a >>> 8), (byte) a});
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    /** RFC 5952 text form: lower case, the longest run of two or more zero groups as "::". */
    public static String format(InetAddress a) {
        byte[] b = a.getAddress();
        if (b.length == 4) {
            return a.getHostAddress();
        }
        int[] g = new int[8];
        for (int i = 0; i < 8; i++) {
            g[i] = ((b[2 * i] & 0xff) << 8) | (b[2 * i + 1] & 0xff);
        }
        int bestStart = -1;
        int bestLen = 1;
        for (int i = 0; i < 8; ) {
            if (g[i] != 0) {
                i++;
                continue;
            }
            int j = i;
            while (j < 8 && g[j] == 0) {
                j++;
            }
            if (j - i > bestLen) {
                bestStart = i;
                bestLen = j - i;
            }
            i = j;
        }
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                sb.append("::");
                i += bestLen - 1;
                continue;
            }
            if (sb.length() > 0 && sb.charAt(sb.length() - 1) != ':') {
                sb.append(':');
            }
            sb.append(Integer.toHexString(g[i]));
        }
        return sb.toString();
    }

    public static InetAddress v6ToInet(long hi, long lo) {
        byte[] b = new byte[16];
        for (int i = 0; i < 8; i++) {
            b[i] = (byte) (hi >>> (56 - 8 * i));
            b[8 + i] = (byte) (lo >>> (56 - 8 * i));
        }
        try {
            // Inet6Address explicitly: InetAddress.getByAddress folds ::ffff:a.b.c.d into an IPv4 address.
            return java.net.Inet6Address.getByAddress(null, b, -1);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }
}
