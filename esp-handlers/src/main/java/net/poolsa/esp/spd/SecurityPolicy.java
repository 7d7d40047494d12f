package net.poolsa.esp.spd;

import java.util.Objects;

import net.poolsa.esp.sa.Direction;
import net.poolsa.esp.sa.TrafficSelector;

/**
 * One SPD entry (RFC 4301 section 4.4.1): selectors whose addresses are pools, an action, and for PROTECT
 * the reqid that names the SA generations protecting it.
 *
 * @param id        unique name, used to delete the policy
 * @param direction OUTBOUND policies classify cleartext leaving; INBOUND ones decide about cleartext arriving
 * @param priority  explicit order, lower first; ties are broken by specificity (see {@link SecurityPolicyDatabase})
 * @param selector  packets the policy applies to
 * @param action    PROTECT, BYPASS or DISCARD
 * @param reqid     for PROTECT, the reqid of the SAs to use; 0 otherwise
 */
public record SecurityPolicy(String id, Direction direction, int priority, TrafficSelector selector,
                             PolicyAction action, int reqid) {
    public SecurityPolicy {
        Objects.requireNonNull(id, "policy id");
        Objects.requireNonNull(direction, "policy direction");
        Objects.requireNonNull(selector, "policy selector");
        Objects.requireNonNull(action, "policy action");
        if (id.isBlank()) {
            throw new IllegalArgumentException("policy id must not be blank");
        }
        if (action == PolicyAction.PROTECT && reqid == 0) {
            throw new IllegalArgumentException("policy '" + id + "': PROTECT needs a reqid naming its SAs");
        }
    }

    public static SecurityPolicy protect(String id, TrafficSelector selector, int reqid) {
        return new SecurityPolicy(id, Direction.OUTBOUND, 1000, selector, PolicyAction.PROTECT, reqid);
    }

    public static SecurityPolicy bypass(String id, TrafficSelector selector) {
        return new SecurityPolicy(id, Direction.OUTBOUND, 1000, selector, PolicyAction.BYPASS, 0);
    }

    public static SecurityPolicy discard(String id, TrafficSelector selector) {
        return new SecurityPolicy(id, Direction.OUTBOUND, 1000, selector, PolicyAction.DISCARD, 0);
    }
}
