package net.poolsa.ike;

import java.util.Objects;

/**
 * Dead peer detection of one connection (RFC 3706): while an IKE SA of the connection is established and the peer
 * announced the DPD vendor ID, an R-U-THERE goes every {@code delayMillis} over each path (our bound IKE addresses in
 * the local outer pool x the single addresses of the peer's outer pool), each with its own sequence number; an
 * authenticated R-U-THERE-ACK that echoes one of them proves that path. When no path answered for
 * {@code timeoutMillis}, {@code action} applies.
 *
 * @param delayMillis   interval between R-U-THEREs on a path; 0 turns DPD off (we still answer the peer's)
 * @param timeoutMillis how long without any authenticated answer before the peer is declared dead
 * @param action        what happens then
 * @see <a href="https://www.rfc-editor.org/rfc/rfc3706#section-5">RFC 3706 §5</a>
 */
public record Dpd(long delayMillis, long timeoutMillis, Action action) {
    /** No R-U-THEREs of our own. */
    public static final Dpd OFF = new Dpd(0, 0, Action.CLEAR);

    /** What a dead peer costs the connection. */
    public enum Action {
        /** Delete the IKE and child SAs (Deletes sent, best effort); traffic waits for the start action. */
        CLEAR,
        /** Delete them and negotiate again, repeated every delay until a path answers. */
        RESTART
    }

    public Dpd {
        Objects.requireNonNull(action, "DPD action");
        if (delayMillis < 0 || timeoutMillis < 0) {
            throw new IllegalArgumentException("negative DPD timer");
        }
        if (delayMillis > 0 && timeoutMillis < delayMillis) {
            throw new IllegalArgumentException("DPD timeout " + timeoutMillis + " ms is shorter than its delay "
                    + delayMillis + " ms");
        }
    }

    public boolean enabled() {
        return delayMillis > 0;
    }
}
