package net.poolsa.appliance.demo;

import java.util.List;

/**
 * The paper's Fig. 10 (§3.2) with documentation addresses: a dual-homed SCTP client (primary 192.0.2.10 on p0,
 * secondary 198.51.100.10 on s0, in place of the paper's two private client addresses), Router1 joining both client
 * networks to a transit link, Router2 in front of the server's network (the paper's server network), and the server. The IPsec
 * tunnel runs from the client itself (the host case) to Router2, through Router1:
 *
 * <pre>
 *        p0 192.0.2.10/25 ─── p1 192.0.2.126/25
 *  cl                                          r1  t1 203.0.113.1/30 ─── t2 203.0.113.2/30  r2  v2 203.0.113.129/25 ─── v0 203.0.113.130/25  sv
 *        s0 198.51.100.10/25 ─ s1 198.51.100.126/25
 * </pre>
 *
 * The client's default route goes over p0 (metric 10), else s0 (metric 20); each address also has a table of its own
 * (source routing), so what leaves from 198.51.100.10 uses s0 while both links are up. The primary link p0 fails.
 */
final class HostCase implements Scenario {
    static final String CLIENT = "cl";
    static final String ROUTER1 = "r1";
    static final String ROUTER2 = "r2";
    static final String SERVER = "sv";
    static final String PRIMARY = "192.0.2.10";
    static final String SECONDARY = "198.51.100.10";
    static final String SERVER_ADDRESS = "203.0.113.130";

    @Override
    public String key() {
        return "host";
    }

    @Override
    public String title() {
        return "host case (the paper's Fig. 10): IPsec on the dual-homed client itself and on Router2; "
                + "the client's primary link fails";
    }

    @Override
    public void build(Lab lab) {
        for (String role : List.of(CLIENT, ROUTER1, ROUTER2, SERVER)) {
            lab.addNamespace(role);
        }
        lab.veth(CLIENT, "p0", ROUTER1, "p1");
        lab.veth(CLIENT, "s0", ROUTER1, "s1");
        lab.veth(ROUTER1, "t1", ROUTER2, "t2");
        lab.veth(ROUTER2, "v2", SERVER, "v0");
        lab.exec(CLIENT, "ip", "addr", "add", PRIMARY + "/25", "dev", "p0");
        lab.exec(CLIENT, "ip", "addr", "add", SECONDARY + "/25", "dev", "s0");
        lab.exec(ROUTER1, "ip", "addr", "add", "192.0.2.126/25", "dev", "p1");
        lab.exec(ROUTER1, "ip", "addr", "add", "198.51.100.126/25", "dev", "s1");
        lab.exec(ROUTER1, "ip", "addr", "add", "203.0.113.1/30", "dev", "t1");
        lab.exec(ROUTER2, "ip", "addr", "add", "203.0.113.2/30", "dev", "t2");
        lab.exec(ROUTER2, "ip", "addr", "add", "203.0.113.129/25", "dev", "v2");
        lab.exec(SERVER, "ip", "addr", "add", SERVER_ADDRESS + "/25", "dev", "v0");
        lab.exec(CLIENT, "ip", "route", "add", "default", "via", "192.0.2.126", "dev", "p0", "metric", "10");
        lab.exec(CLIENT, "ip", "route", "add", "default", "via", "198.51.100.126", "dev", "s0", "metric", "20");
        lab.exec(CLIENT, "ip", "route", "add", "default", "via", "192.0.2.126", "dev", "p0", "table", "101");
        lab.exec(CLIENT, "ip", "route", "add", "default", "via", "198.51.100.126", "dev", "s0", "table", "102");
        lab.exec(CLIENT, "ip", "rule", "add", "from", PRIMARY, "table", "101", "priority", "1000");
        lab.exec(CLIENT, "ip", "rule", "add", "from", SECONDARY, "table", "102", "priority", "1001");
        lab.exec(ROUTER1, "ip", "route", "add", "default", "via", "203.0.113.2");
        lab.exec(ROUTER2, "ip", "route", "add", "192.0.2.0/25", "via", "203.0.113.1");
        lab.exec(ROUTER2, "ip", "route", "add", "198.51.100.0/25", "via", "203.0.113.1");
        lab.exec(SERVER, "ip", "route", "add", "default", "via", "203.0.113.129");
        for (String router : List.of(ROUTER1, ROUTER2)) {
            lab.exec(router, "sysctl", "-qw", "net.ipv4.ip_forward=1");
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
        return List.of(SECONDARY, PRIMARY);
    }

    @Override
    public String clientPrimary() {
        return PRIMARY;
    }

    @Override
    public String failureRole() {
        return CLIENT;
    }

    @Override
    public String failureDevice() {
        return "p0";
    }

    @Override
    public String failureText() {
        return "the client's primary link p0 (" + PRIMARY + ") goes down";
    }

    @Override
    public List<CapturePoint> captures() {
        return List.of(new CapturePoint(ROUTER1, "p1", "primary link"), new CapturePoint(ROUTER1, "s1", "secondary link"));
    }

    @Override
    public void tunnelOnly(Lab lab) {
        lab.execWithInput(ROUTER2, Firewall.noForwarding(List.of("t2"), List.of("v2")), "nft", "-f", "-");
    }

    @Override
    public Endpoint initiator() {
        return new Endpoint(CLIENT, List.of("lo"), List.of("p0:" + PRIMARY + "/25", "s0:" + SECONDARY + "/25"),
                List.of("192.0.2.0/25", "198.51.100.0/25"));
    }

    @Override
    public Endpoint responder() {
        return new Endpoint(ROUTER2, List.of("v2:203.0.113.129/25"), List.of("t2:203.0.113.2/30"),
                List.of("203.0.113.128/25"));
    }
}
