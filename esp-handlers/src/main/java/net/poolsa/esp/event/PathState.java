package net.poolsa.esp.event;

/**
 * What path monitoring knows of one pair of outer addresses (ours, the peer's), in the spirit of a BFD session's
 * state (RFC 5880 §6.2): a path is used for a switch only once it was seen working.
 */
public enum PathState {
    /** Not seen working yet: new, or its local link just came back; probed at the fast rate, never switched to. */
    UNVERIFIED("unverified"),
    /** Evidence within its detection time. */
    UP("up"),
    /** No evidence for its detection time, or its local address or link is gone. */
    DOWN("down");

    private final String label;

    PathState(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }
}
