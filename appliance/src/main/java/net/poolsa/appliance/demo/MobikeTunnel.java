package net.poolsa.appliance.demo;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

import net.poolsa.esp.divert.HostCommands;

/**
 * The best existing system for the job: strongSwan 5.9.8 with IKEv2 and MOBIKE (RFC 4555) between the client and
 * the server-side gateway, which moves its SAs to the client's new address with an INFORMATIONAL exchange carrying
 * UPDATE_SA_ADDRESSES. The setup is the one of ../shared/lab/NOTES.md ("MOBIKE in namespaces"): one charon per
 * namespace with its own /run (a bind mount inside the private mount namespace of its {@code ip netns exec}), an
 * explicit plugin list with {@code kernel-libipsec} (userspace ESP, always in UDP on this kernel), PSK with FQDN
 * identities, and a virtual IP for the client (its own address as traffic selector does not install on libipsec), so
 * the SCTP client binds that one address: MOBIKE, not SCTP, is what moves here.
 *
 * <p>Only the host case has a MOBIKE run: MOBIKE moves an IKE SA between addresses of one end, the client's.
 */
final class MobikeTunnel implements Tunnel {
    static final String CHARON = "/usr/lib/ipsec/charon";
    /** The client's virtual IP, from the gateway's pool: outside every network of the topology. */
    static final String VIRTUAL_IP = "192.0.2.200";
    static final String PLUGINS = "random nonce openssl pem pkcs1 x509 pubkey sha1 sha2 hmac aes gcm kdf gmp curve25519 "
            + "kernel-libipsec kernel-netlink socket-default vici updown";
    static final String IKE_PROPOSAL = "aes128-sha256-modp2048";
    static final String ESP_PROPOSAL = "aes128gcm16-modp2048";

    private final Scenario scenario;
    private final List<String> notes = new ArrayList<>();
    private Path dir;

    MobikeTunnel(Scenario scenario) {
        this.scenario = scenario;
    }

    @Override
    public String description() {
        return "strongSwan 5.9 IKEv2 + MOBIKE (PSK, " + IKE_PROPOSAL + ", ESP " + ESP_PROPOSAL
                + " in UDP, kernel-libipsec), client on virtual IP " + VIRTUAL_IP;
    }

    @Override
    public List<String> clientBind(Scenario s) {
        return List.of(VIRTUAL_IP);
    }

    @Override
    public String probeSource(Scenario s) {
        return VIRTUAL_IP;
    }

    @Override
    public void start(Lab lab, Path runDir) throws Exception {
        this.dir = runDir;
        if (!(scenario instanceof HostCase)) {
            throw new Unavailable("MOBIKE moves the SAs of a mobile or multihomed host; the router case has no MOBIKE run",
                    "");
        }
        if (!Files.isExecutable(Path.of(CHARON)) || !HostCommands.local().run(List.of("sh", "-c", "command -v swanctl")).ok()) {
            throw new Unavailable("strongSwan is not installed (packages strongswan-charon strongswan-swanctl "
                    + "libstrongswan-standard-plugins)", "");
        }
        byte[] k = new byte[16];
        new SecureRandom().nextBytes(k);
        String psk = HexFormat.of().formatHex(k);
        String client = scenario.initiator().role();
        String gateway = scenario.responder().role();
        String gatewayAddress = scenario.responder().outer().get(0);
        String secrets = "secrets {\n  ike-1 {\n    id-1 = client.poolsa.test\n    id-2 = gateway.poolsa.test\n"
                + "    secret = \"" + psk + "\"\n  }\n}\n";
        Process gw = charon(lab, gateway, """
                connections {
                  mobike {
                    version = 2
                    local_addrs = %s
                    pools = vip
                    encap = yes
                    mobike = yes
                    dpd_delay = 1s
                    proposals = %s
                    local { auth = psk
                            id = gateway.poolsa.test }
                    remote { auth = psk
                             id = client.poolsa.test }
                    children { mobike { local_ts = %s
                                        esp_proposals = %s } }
                  }
                }
                pools { vip { addrs = %s/32 } }
                """.formatted(gatewayAddress, IKE_PROPOSAL, String.join(",", scenario.responder().protectedPool()),
                ESP_PROPOSAL, VIRTUAL_IP) + secrets);
        Process cl = charon(lab, client, """
                connections {
                  mobike {
                    version = 2
                    remote_addrs = %s
                    vips = 0.0.0.0
                    encap = yes
                    mobike = yes
                    dpd_delay = 1s
                    proposals = %s
                    local { auth = psk
                            id = client.poolsa.test }
                    remote { auth = psk
                             id = gateway.poolsa.test }
                    children { mobike { remote_ts = %s
                                        esp_proposals = %s } }
                  }
                }
                """.formatted(gatewayAddress, IKE_PROPOSAL, String.join(",", scenario.responder().protectedPool()),
                ESP_PROPOSAL) + secrets);
        for (String role : List.of(gateway, client)) {
            awaitVici(lab, role, role.equals(client) ? cl : gw);
        }
        HostCommands.Result r = swanctl(lab, client, "--initiate", "--ike", "mobike", "--child", "mobike", "--timeout", "60");
        if (!r.ok()) {
            throw new Unavailable("strongSwan could not establish the IKEv2 SA (swanctl --initiate failed)",
                    r.output() + "\n--- charon log (client) ---\n" + tail(lab, client, 40));
        }
    }

    @Override
    public TunnelReport finish(Lab lab, long startMillis, long failureMillis) throws Exception {
        String client = scenario.initiator().role();
        Path log = dir.resolve("strongswan-" + client).resolve("charon.log");
        int updates = 0;
        int rekeys = 0;
        for (String line : Files.exists(log) ? Files.readAllLines(log, StandardCharsets.ISO_8859_1) : List.<String>of()) {
            long t = time(line);
            if (t < failureMillis) {
                continue;
            }
            if (line.contains("generating INFORMATIONAL request") && line.contains("N(UPD_SA_ADDR)")) {
                updates++;
            }
            if (line.contains("generating CREATE_CHILD_SA request")) {
                rekeys++;
            }
        }
        notes.add("client's charon after the failure: " + updates + " MOBIKE address update(s) (INFORMATIONAL with "
                + "N(UPD_SA_ADDR)), " + rekeys + " CREATE_CHILD_SA request(s) (kernel-libipsec cannot update an SA's "
                + "addresses, so charon rekeys every CHILD_SA after a move)");
        swanctl(lab, client, "--list-sas");
        Files.writeString(dir.resolve("strongswan-" + client).resolve("list-sas.txt"),
                swanctl(lab, client, "--list-sas").output() + "\n");
        return new TunnelReport(List.of(), List.copyOf(notes));
    }

    /** The epoch milliseconds of a charon log line ({@code time_format = %s}, {@code time_add_ms}), or -1. */
    static long time(String line) {
        int sp = line.indexOf(' ');
        if (sp < 0) {
            return -1;
        }
        try {
            return Math.round(Double.parseDouble(line.substring(0, sp)) * 1000);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private Process charon(Lab lab, String role, String swanctlConf) throws IOException {
        Path home = Files.createDirectories(dir.resolve("strongswan-" + role));
        Files.setPosixFilePermissions(home, PosixFilePermissions.fromString("rwx------"));
        Files.createDirectories(home.resolve("run"));
        Files.createDirectories(home.resolve("swanctl"));
        Files.writeString(home.resolve("strongswan.conf"), """
                charon {
                    load = %s
                    install_routes = yes
                    filelog {
                        log {
                            path = %s
                            time_format = %%s
                            time_add_ms = yes
                            flush_line = yes
                            ike_name = yes
                            default = 1
                            ike = 2
                            knl = 2
                            net = 2
                        }
                    }
                    plugins { vici { socket = unix://%s } }
                }
                """.formatted(PLUGINS, home.resolve("charon.log"), home.resolve("charon.vici")));
        Path conf = home.resolve("swanctl").resolve("swanctl.conf");
        Files.writeString(conf, swanctlConf);
        Files.setPosixFilePermissions(conf, PosixFilePermissions.fromString("rw-------"));
        lab.exec(role, "sysctl", "-qw", "net.ipv4.ip_forward=1");
        return lab.spawn(role, List.of("sh", "-c", "mount --bind " + home.resolve("run") + " /run && STRONGSWAN_CONF="
                + home.resolve("strongswan.conf") + " exec " + CHARON), home.resolve("charon.out"));
    }

    private void awaitVici(Lab lab, String role, Process charon) throws Exception {
        Path home = dir.resolve("strongswan-" + role);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            if (!charon.isAlive()) {
                throw new Unavailable("charon in " + role + " exited with code " + charon.exitValue(), tail(lab, role, 40));
            }
            // The socket file appears before charon listens on it: retry while the connection is refused.
            if (Files.exists(home.resolve("charon.vici"))) {
                HostCommands.Result r = swanctl(lab, role, "--load-all");
                if (r.ok()) {
                    return;
                }
                if (!r.output().contains("Connection refused")) {
                    throw new Unavailable("swanctl --load-all failed in " + role, r.output());
                }
            }
            Thread.sleep(100);
        }
        throw new Unavailable("charon in " + role + " did not open its VICI socket within 60 s", tail(lab, role, 40));
    }

    private HostCommands.Result swanctl(Lab lab, String role, String... args) {
        Path home = dir.resolve("strongswan-" + role);
        List<String> cmd = new ArrayList<>(List.of("env", "STRONGSWAN_CONF=" + home.resolve("strongswan.conf"),
                "SWANCTL_DIR=" + home.resolve("swanctl"), "swanctl"));
        cmd.addAll(List.of(args));
        cmd.addAll(List.of("--uri", "unix://" + home.resolve("charon.vici")));
        return lab.tryExec(role, cmd.toArray(String[]::new));
    }

    private String tail(Lab lab, String role, int lines) throws IOException {
        Path home = dir.resolve("strongswan-" + role);
        return PoolsaTunnel.tail(home.resolve("charon.out"), lines) + "\n" + PoolsaTunnel.tail(home.resolve("charon.log"),
                lines);
    }
}
