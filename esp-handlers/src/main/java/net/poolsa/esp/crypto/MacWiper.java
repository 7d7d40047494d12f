package net.poolsa.esp.crypto;

import java.security.GeneralSecurityException;
import javax.crypto.Mac;

/**
 * Overwrites what a JCA HMAC keeps of its key once it is no longer needed. Re-keying with zeros replaces the
 * provider's pads, but not its digest's scratch: after {@code doFinal} SunJCE's SHA-1/SHA-2 keep the last block they
 * compressed in Java in their message schedule ({@code W}) until the next update, and while the JIT compiles the
 * digest that block can be the outer pad (key XOR 0x5c). One update starts a new message, which zeroes the
 * schedule, and a reset zeroes it again after the zero key's inner pad went through it.
 */
public final class MacWiper {
    private static final byte[] ZERO_KEY = new byte[16];

    private MacWiper() {
    }

    /** Best effort: a provider that refuses the zero key keeps its state, as it would have without this. */
    public static void wipe(Mac mac) {
        WipeableKey zero = new WipeableKey(mac.getAlgorithm(), ZERO_KEY, 0, ZERO_KEY.length);
        try {
            mac.init(zero);
            mac.update((byte) 0);
            mac.reset();
        } catch (GeneralSecurityException | RuntimeException ignored) {
            // Nothing better to do: the key this Mac held is already zeroed where this code owns it.
        }
    }
}
