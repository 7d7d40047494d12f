package net.poolsa.esp.sa;

/** RFC 3948 UDP encapsulation of ESP: the outer UDP ports (4500 on both sides unless a NAT remapped them). */
public record UdpEncapsulation(int localPort, int remotePort) {
    public static final UdpEncapsulation NAT_T = new UdpEncapsulation(4500, 4500);

    public UdpEncapsulation {
        if (localPort < 1 || localPort > 65535 || remotePort < 1 || remotePort > 65535) {
            throw new IllegalArgumentException("UDP encapsulation ports must be 1-65535");
        }
    }
}
