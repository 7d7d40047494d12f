package net.poolsa.esp.sa;

/** The IPsec security protocols, by their IP protocol numbers. */
public enum IpsecProtocol {
    /** RFC 4303. */
    ESP(50),
    /** RFC 4302. */
    AH(51);

    private final int ipProtocol;

    IpsecProtocol(int ipProtocol) {
        this.ipProtocol = ipProtocol;
    }

    public int ipProtocol() {
        return ipProtocol;
    }

    /** The protocol for an IP protocol number, or null when it is neither ESP nor AH. */
    public static IpsecProtocol ofIpProtocol(int number) {
        return number == 50 ? ESP : number == 51 ? AH : null;
    }
}
