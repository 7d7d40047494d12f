package net.poolsa.appliance.demo;

import java.util.List;

/**
 * One network of the experiment, built in namespaces with documentation addresses only (RFC 5737): where the SCTP
 * client and server sit, which two nodes are the IPsec endpoints, which link fails and where the wire is captured.
 */
interface Scenario {
    /** "host" or "router": the value of {@code poolsa demo --scenario}. */
    String key();

    /** One line for the summary. */
    String title();

    /** Creates the namespaces, links, addresses and routes in {@code lab}; plain routing works afterwards. */
    void build(Lab lab);

    String clientRole();

    String serverRole();

    String serverAddress();

    /**
     * The client's addresses in the order the SCTP harness binds them. usrsctp sends from the address bound last
     * (../shared/lab/NOTES.md), so the primary address comes last: it is the source of the INIT, hence the primary
     * path the server sends to.
     */
    List<String> clientBind();

    /** The client's primary address (the server's first destination). */
    String clientPrimary();

    /** The namespace and interface whose link goes down. */
    String failureRole();

    String failureDevice();

    /** What fails, for the summary ("the client's primary link p0 (192.0.2.10)"). */
    String failureText();

    /** Where the wire is captured: the link that fails first, then the one that takes over. */
    List<CapturePoint> captures();

    /**
     * Makes the path between client and server go only through the tunnel: the IPsec endpoint on the server's side
     * forwards nothing between its uplinks and the server's network itself (poolsa re-injects decapsulated packets as
     * locally generated ones, strongSwan's libipsec writes them into its TUN device, so only cleartext that skipped the
     * tunnel is dropped). Without it a broken tunnel would go unnoticed while packets flow in the clear.
     */
    void tunnelOnly(Lab lab);

    /** The IPsec endpoint that initiates (the client in the host case). */
    Endpoint initiator();

    /** The IPsec endpoint on the server's side. */
    Endpoint responder();

    /** A capture: {@code label} names the link in the summary. */
    record CapturePoint(String role, String device, String label) {
    }

    /**
     * One IPsec endpoint: its namespace, the interfaces poolsa captures cleartext on ({@code NAME} or
     * {@code NAME:PREFIX,...}), its uplinks ({@code NAME:ADDRESS/LEN}, primary first), and its protected pool
     * (prefixes). The outer pool is the uplink addresses.
     */
    record Endpoint(String role, List<String> captureInterfaces, List<String> uplinks, List<String> protectedPool) {
        /** The outer addresses, primary first. */
        List<String> outer() {
            return uplinks.stream().map(u -> u.substring(u.indexOf(':') + 1, u.indexOf('/'))).toList();
        }

        List<String> uplinkDevices() {
            return uplinks.stream().map(u -> u.substring(0, u.indexOf(':'))).toList();
        }
    }
}
