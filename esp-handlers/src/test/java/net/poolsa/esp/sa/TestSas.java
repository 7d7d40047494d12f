package net.poolsa.esp.sa;

/** Builders of SAs for tests: ESP tunnel SAs between documentation-address pools. */
public final class TestSas {
    private TestSas() {
    }

    public static SaKeys keys() {
        return new SaKeys("aes-gcm-16", new byte[20], "none", null);
    }

    /** Inbound SA: the peer sends from {@code remote} to us at {@code local}. */
    public static SecurityAssociation inbound(int spi, String local, String remote) {
        return SecurityAssociation.builder().spi(spi).direction(Direction.INBOUND).reqid(1)
                .localOuter(AddressPool.parse(local)).remoteOuter(AddressPool.parse(remote))
                .selector(TrafficSelector.between(AddressPool.parse("198.51.100.0/24"), AddressPool.parse("203.0.113.0/24")))
                .keys(keys()).build();
    }

    public static SecurityAssociation outbound(int spi, int reqid, String local, String remote) {
        return SecurityAssociation.builder().spi(spi).direction(Direction.OUTBOUND).reqid(reqid)
                .localOuter(AddressPool.parse(local)).remoteOuter(AddressPool.parse(remote))
                .selector(TrafficSelector.between(AddressPool.parse("203.0.113.0/24"), AddressPool.parse("198.51.100.0/24")))
                .keys(keys()).build();
    }

    public static int v4(String a) {
        return IpLiterals.v4(IpLiterals.parse(a));
    }
}
