package net.poolsa.appliance.demo;

import java.util.List;

/**
 * The router case: two dual-homed gateways (ga, gb) joined by two uplinks, the SCTP client behind ga, the server
 * behind gb; ga's first uplink fails. SCTP has one path here (a single-homed client), so only the tunnel can move:
 *
 * <pre>
 *                                  ┌─ l1a 198.51.100.1/29 ─── l1b 198.51.100.2/29 ─┐
 *  cl c0 192.0.2.10/26 ─ g0 192.0.2.1/26  ga                                     gb  gs 192.0.2.129/26 ─ v0 192.0.2.130/26 sv
 *                                  └─ l2a 203.0.113.1/29  ─── l2b 203.0.113.2/29  ─┘
 * </pre>
 *
 * Plain routing prefers uplink 1 (metric 10) over uplink 2 (metric 20) both ways, and routes whose link lost its
 * carrier are not used (ignore_routes_with_linkdown), so without IPsec the routers switch at once.
 */
final class RouterCase implements Scenario {
    static final String CLIENT = "cl";
    static final String GATEWAY_A = "ga";
    static final String GATEWAY_B = "gb";
    static final String SERVER = "sv";
    static final String CLIENT_ADDRESS = "192.0.2.10";
    static final String SERVER_ADDRESS = "192.0.2.130";

    @Override
    public String key() {
        return "router";
    }

    @Override
    public String title() {
        return "router case: IPsec between two dual-homed gateways; the client-side gateway's first uplink fails";
    }

    @Override
    public void build(Lab lab) {
        for (String role : List.of(CLIENT, GATEWAY_A, GATEWAY_B, SERVER)) {
            lab.addNamespace(role);
        }
        lab.veth(CLIENT, "c0", GATEWAY_A, "g0");
        lab.veth(GATEWAY_A, "l1a", GATEWAY_B, "l1b");
        lab.veth(GATEWAY_A, "l2a", GATEWAY_B, "l2b");
        lab.veth(GATEWAY_B, "gs", SERVER, "v0");
        lab.exec(CLIENT, "ip", "addr", "add", CLIENT_ADDRESS + "/26", "dev", "c0");
        lab.exec(GATEWAY_A, "ip", "addr", "add", "192.0.2.1/26", "dev", "g0");
        lab.exec(GATEWAY_A, "ip", "addr", "add", "198.51.100.1/29", "dev", "l1a");
        lab.exec(GATEWAY_A, "ip", "addr", "add", "203.0.113.1/29", "dev", "l2a");
        lab.exec(GATEWAY_B, "ip", "addr", "add", "198.51.100.2/29", "dev", "l1b");
        lab.exec(GATEWAY_B, "ip", "addr", "add", "203.0.113.2/29", "dev", "l2b");
        lab.exec(GATEWAY_B, "ip", "addr", "add", "192.0.2.129/26", "dev", "gs");
        lab.exec(SERVER, "ip", "addr", "add", SERVER_ADDRESS + "/26", "dev", "v0");
        lab.exec(CLIENT, "ip", "route", "add", "default", "via", "192.0.2.1");
        lab.exec(SERVER, "ip", "route", "add", "default", "via", "192.0.2.129");
        lab.exec(GATEWAY_A, "ip", "route", "add", "192.0.2.128/25", "via", "198.51.100.2", "metric", "10");
        lab.exec(GATEWAY_A, "ip", "route", "add", "192.0.2.128/25", "via", "203.0.113.2", "metric", "20");
        lab.exec(GATEWAY_B, "ip", "route", "add", "192.0.2.0/25", "via", "198.51.100.1", "metric", "10");
        lab.exec(GATEWAY_B, "ip", "route", "add", "192.0.2.0/25", "via", "203.0.113.1", "metric", "20");
        for (String gw : List.of(GATEWAY_A, GATEWAY_B)) {
            lab.exec(gw, "sysctl", "-qw", "net.ipv4.ip_forward=1");
            lab.exec(gw, "sysctl", "-qw", "net.ipv4.conf.all.ignore_routes_with_linkdown=1");
        }
    }

    @Override
    public String clientRole() {
        return CLIENT;
    }

    @Override
    public String serverRole() {
        return SERVER;
    }

    @Override
    public String serverAddress() {
        return SERVER_ADDRESS;
    }

    @Override
    public List<String> clientBind() {
        return List.of(CLIENT_ADDRESS);
    }

    @Override
    public String clientPrimary() {
        return CLIENT_ADDRESS;
    }

    @Override
    public String failureRole() {
        return GATEWAY_A;
    }

    @Override
    public String failureDevice() {
        return "l1a";
    }

    @Override
    public String failureText() {
        return "gateway ga's uplink 1 l1a (198.51.100.1) goes down";
    }

    @Override
    public List<CapturePoint> captures() {
        return List.of(new CapturePoint(GATEWAY_B, "l1b", "uplink 1"), new CapturePoint(GATEWAY_B, "l2b", "uplink 2"));
    }

    @Override
    public void tunnelOnly(Lab lab) {
        lab.execWithInput(GATEWAY_A, Firewall.noForwarding(List.of("l1a", "l2a"), List.of("g0")), "nft", "-f", "-");
        lab.execWithInput(GATEWAY_B, Firewall.noForwarding(List.of("l1b", "l2b"), List.of("gs")), "nft", "-f", "-");
    }

    @Override
    public Endpoint initiator() {
        return new Endpoint(GATEWAY_A, List.of("g0:192.0.2.1/26"),
                List.of("l1a:198.51.100.1/29", "l2a:203.0.113.1/29"), List.of("192.0.2.0/25"));
    }

    @Override
    public Endpoint responder() {
        return new Endpoint(GATEWAY_B, List.of("gs:192.0.2.129/26"),
                List.of("l1b:198.51.100.2/29", "l2b:203.0.113.2/29"), List.of("192.0.2.128/25"));
    }
}
