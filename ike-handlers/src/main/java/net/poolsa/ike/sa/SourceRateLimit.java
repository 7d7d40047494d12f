package net.poolsa.ike.sa;

import java.net.InetAddress;

import net.poolsa.ike.crypto.IkeRandom;

/**
 * A token bucket per source of new Main Modes: {@link #BURST} at once, then {@link #PER_SECOND} a second. A source is
 * an IPv4 address or an IPv6 /64 (one host can pick any address of its /64). The buckets live in a fixed table of
 * {@link #SLOTS} slots indexed by a keyed hash of the source, so a flood from any number of spoofed sources takes no
 * more memory; two sources that meet in one slot take turns (the newcomer starts with a full bucket), so a flood can
 * make a source's limit looser, never tighter. Confined to the IKE event loop; allocates nothing.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2408#section-2.5.3">RFC 2408 §2.5.3 (anti-clogging)</a>
 */
public final class SourceRateLimit {
    /** New Main Modes a source may start at once. */
    public static final int BURST = 16;
    /** New Main Modes a source may start per second once its burst is spent. */
    public static final int PER_SECOND = 8;
    /** Buckets held: 32 bytes each, 128 KiB in all. */
    public static final int SLOTS = 4096;
    private static final long MILLI_TOKENS = 1000;

    private final long[] hi = new long[SLOTS];
    private final long[] lo = new long[SLOTS];
    /** Milli-tokens left; 0 in an empty slot (hi = lo = 0 is no valid source key: IPv4 keys carry a marker bit). */
    private final long[] tokens = new long[SLOTS];
    private final long[] stamp = new long[SLOTS];
    private final IkeRandom random;
    private long seed;
    private boolean seeded;

    /** @param random keys the slot hash (drawn at the first use), so that a sender cannot pick sources that share a slot */
    public SourceRateLimit(IkeRandom random) {
        this.random = random;
    }

    /** Takes one token from {@code source}'s bucket; false when it has none left. */
    public boolean permit(InetAddress source, long nowMillis) {
        byte[] a = source.getAddress();
        long h;
        long l;
        if (a.length == 4) {
            h = 0;
            l = (1L << 32) | (((a[0] & 0xffL) << 24) | ((a[1] & 0xffL) << 16) | ((a[2] & 0xffL) << 8) | (a[3] & 0xffL));
        } else {
            h = 1; // the /64 prefix only
            l = 0;
            for (int i = 0; i < 8; i++) {
                l = (l << 8) | (a[i] & 0xffL);
            }
        }
        if (!seeded) {
            for (byte b : random.bytes(8)) {
                seed = (seed << 8) | (b & 0xffL);
            }
            seeded = true;
        }
        int s = slot(h, l);
        if (hi[s] != h || lo[s] != l) {
            hi[s] = h;
            lo[s] = l;
            tokens[s] = BURST * MILLI_TOKENS;
            stamp[s] = nowMillis;
        } else if (nowMillis > stamp[s]) {
            tokens[s] = Math.min(BURST * MILLI_TOKENS, tokens[s] + (nowMillis - stamp[s]) * PER_SECOND);
            stamp[s] = nowMillis;
        }
        if (tokens[s] < MILLI_TOKENS) {
            return false;
        }
        tokens[s] -= MILLI_TOKENS;
        return true;
    }

    private int slot(long h, long l) {
        long x = (l ^ seed) * 0x9E3779B97F4A7C15L;
        x ^= (h + seed) * 0xC2B2AE3D27D4EB4FL;
        x ^= x >>> 29;
        x *= 0xBF58476D1CE4E5B9L;
        x ^= x >>> 32;
        return (int) (x & (SLOTS - 1));
    }
}
