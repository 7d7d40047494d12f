package net.poolsa.appliance.state;

import java.security.GeneralSecurityException;
import java.util.Arrays;

import net.poolsa.esp.sa.AddressPool;
import net.poolsa.esp.sa.Direction;
import net.poolsa.esp.sa.SaKeys;
import net.poolsa.esp.sa.SecurityAssociation;
import net.poolsa.esp.sa.TrafficSelector;
import net.poolsa.esp.transform.SaTransformContext;

/** Manually keyed AES-CBC + HMAC-SHA-256 SAs between documentation pools, keys derived from a seed. */
final class StateSas {
    private StateSas() {
    }

    static SecurityAssociation sa(Direction direction, int spi, int keySeed, int replayWindow, boolean esn) {
        byte[] ek = new byte[16];
        byte[] ik = new byte[32];
        Arrays.fill(ek, (byte) keySeed);
        Arrays.fill(ik, (byte) (keySeed + 1));
        return SecurityAssociation.builder().spi(spi).direction(direction).reqid(1)
                .localOuter(AddressPool.parse("192.0.2.0/24")).remoteOuter(AddressPool.parse("198.51.100.0/24"))
                .selector(TrafficSelector.between(AddressPool.ANY, AddressPool.ANY))
                .keys(new SaKeys("aes-cbc", ek, "hmac-sha2-256-128", ik)).replayWindow(replayWindow)
                .extendedSequenceNumbers(esn).build();
    }

    static SecurityAssociation out(int spi, int keySeed) {
        return sa(Direction.OUTBOUND, spi, keySeed, 64, false);
    }

    static SecurityAssociation in(int spi, int keySeed, int replayWindow) {
        return sa(Direction.INBOUND, spi, keySeed, replayWindow, false);
    }

    static SaTransformContext ctx(SecurityAssociation sa) {
        try {
            return SaTransformContext.of(sa);
        } catch (GeneralSecurityException e) {
            throw new AssertionError(e);
        }
    }
}
