package net.poolsa.bench.ike;

/**
 * Names, IKE addresses and selectors of the benchmark's tunnels: tunnel k (0-based, fewer than {@value #MAX}) is
 * connection {@code tK}, protecting 198.51.100.(k+1)/32 on the initiator's side and 203.0.113.(k+1)/32 on the
 * responder's (documentation addresses, RFC 5737). Each tunnel's initiator has an IKE address of its own, host
 * {@code k + 10} of the initiator's network, and all talk to host {@value #RESPONDER_HOST} of it: one responder
 * gateway with n peers. That makes every setup a complete one (an initiator reuses an established IKE SA towards the
 * same peer address, and would skip Main Mode) and lets the responder pick the connection by address, as Main Mode
 * with pre-shared keys must (RFC 2409 §5.4: the key is needed before the identity is known).
 */
final class Tunnels {
    /** One initiator host per tunnel in a /24, from host 10 up, below the responder's. */
    static final int MAX = 200;
    /** The responder's host number in the /24 of the IKE addresses. */
    static final int RESPONDER_HOST = 250;

    private Tunnels() {
    }

    static String name(int k) {
        return "t" + k;
    }

    /** The tunnel of connection {@code name}, -1 for another name. */
    static int index(String name) {
        if (name.length() < 2 || name.charAt(0) != 't') {
            return -1;
        }
        try {
            return Integer.parseInt(name.substring(1));
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** The initiator's IKE address of tunnel k in network {@code prefix} (three octets and a dot). */
    static String initiatorHost(String prefix, int k) {
        if (k < 0 || k >= MAX) {
            throw new IllegalArgumentException("tunnel " + k + ": the benchmark has 0 to " + (MAX - 1));
        }
        return prefix + (k + 10);
    }

    /** The responder's IKE address in network {@code prefix}. */
    static String responderHost(String prefix) {
        return prefix + RESPONDER_HOST;
    }

    /** The initiator's protected address of tunnel k, as a /32. */
    static String left(int k) {
        return "198.51.100." + (k + 1) + "/32";
    }

    /** The responder's protected address of tunnel k, as a /32. */
    static String right(int k) {
        return "203.0.113." + (k + 1) + "/32";
    }
}
