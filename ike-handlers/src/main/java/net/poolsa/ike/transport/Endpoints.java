package net.poolsa.ike.transport;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import net.poolsa.esp.sa.IpLiterals;

/**
 * IKE endpoints and addresses as log lines print them, in the form the configuration and {@code status} use:
 * {@code 192.0.2.1:500}, {@code [2001:db8::1]:4500} (RFC 5952 §4 and §6). {@code InetSocketAddress.toString()}
 * gives {@code /192.0.2.1:500} and {@code /[2001:db8:0:0:0:0:0:1%0]:500}, which an operator cannot search for.
 */
public final class Endpoints {
    private Endpoints() {
    }

    public static String text(InetSocketAddress a) {
        if (a == null) {
            return "-";
        }
        InetAddress address = a.getAddress();
        if (address == null) {
            return a.getHostString() + ":" + a.getPort();
        }
        String host = IpLiterals.format(address);
        return (address.getAddress().length == 16 ? "[" + host + "]" : host) + ":" + a.getPort();
    }

    public static String text(InetAddress a) {
        return a == null ? "-" : IpLiterals.format(a);
    }
}
