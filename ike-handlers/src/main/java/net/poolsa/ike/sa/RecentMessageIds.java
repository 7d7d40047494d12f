package net.poolsa.ike.sa;

/**
 * The message IDs of the last {@link #CAPACITY} Quick Mode and Informational exchanges an IKE SA saw: an
 * Informational exchange is not chained (its IV depends only on the message ID), so a captured one would decrypt
 * and verify again; its message ID is how a replay is told apart (RFC 2408 §3.1: message IDs are unique per
 * exchange).
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2408#section-3.1">RFC 2408 §3.1 (Message ID)</a>
 */
public final class RecentMessageIds {
    public static final int CAPACITY = 256;

    /** Made at the first ID: a half-open SA, which sees none, does not carry 1 KiB of it. */
    private int[] ring;
    private int size;
    private int next;

    /** True if {@code id} was recorded and not yet pushed out by newer ones. */
    public boolean contains(int id) {
        for (int i = 0; i < size; i++) {
            if (ring[i] == id) {
                return true;
            }
        }
        return false;
    }

    public void add(int id) {
        if (ring == null) {
            ring = new int[CAPACITY];
        }
        ring[next] = id;
        next = (next + 1) % CAPACITY;
        size = Math.min(size + 1, CAPACITY);
    }
}
