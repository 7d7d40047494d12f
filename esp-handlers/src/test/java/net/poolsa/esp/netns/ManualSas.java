package net.poolsa.esp.netns;

import net.poolsa.esp.sa.AddressPool;
import net.poolsa.esp.sa.Direction;
import net.poolsa.esp.sa.OuterAddress;
import net.poolsa.esp.sa.SaKeys;
import net.poolsa.esp.sa.SecurityAssociation;
import net.poolsa.esp.sa.TrafficSelector;

/** Static tunnel SAs for tests (manual keying), as {@code ip xfrm state add ... mode tunnel} would install. */
public final class ManualSas {
    private ManualSas() {
    }

    /** An outbound SA from our pool to theirs for inner traffic {@code innerLocal -> innerRemote}. */
    public static SecurityAssociation outbound(int spi, int reqid, AddressPool localOuter, AddressPool remoteOuter,
                                               AddressPool innerLocal, AddressPool innerRemote, SaKeys keys) {
        return SecurityAssociation.builder().spi(spi).reqid(reqid).direction(Direction.OUTBOUND)
                .localOuter(localOuter).remoteOuter(remoteOuter)
                .selector(TrafficSelector.between(innerLocal, innerRemote)).keys(keys)
                .currentLocal(first(localOuter)).currentRemote(first(remoteOuter)).build();
    }

    /** The inbound SA: packets from their pool to ours, inner traffic {@code innerRemote -> innerLocal}. */
    public static SecurityAssociation inbound(int spi, int reqid, AddressPool localOuter, AddressPool remoteOuter,
                                              AddressPool innerLocal, AddressPool innerRemote, SaKeys keys) {
        return SecurityAssociation.builder().spi(spi).reqid(reqid).direction(Direction.INBOUND)
                .localOuter(localOuter).remoteOuter(remoteOuter)
                .selector(TrafficSelector.between(innerRemote, innerLocal)).keys(keys).build();
    }

    public static OuterAddress first(AddressPool pool) {
        AddressPool.Range r = pool.ranges().get(0);
        return OuterAddress.of(r.first());
    }

    public static SaKeys xorKeys(int key) {
        return new SaKeys("test-xor", new byte[] {(byte) key}, "none", new byte[0]);
    }
}
