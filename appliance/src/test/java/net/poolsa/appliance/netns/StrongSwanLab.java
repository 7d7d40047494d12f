package net.poolsa.appliance.netns;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import net.poolsa.esp.netns.Netns;

/**
 * Needs root and strongSwan 5.9.8 (strongswan-charon, strongswan-swanctl, libstrongswan-standard-plugins): one charon
 * daemon in a namespace of an {@link ApplianceLab}, the recipe of ../shared/lab/NOTES.md. Each instance has its own
 * /run (a bind mount in the private mount namespace of its {@code ip netns exec}, since the pid file path is compiled
 * in), its own {@code strongswan.conf} with an explicit plugin list ({@code kernel-libipsec} before
 * {@code kernel-netlink}: userspace ESP over TUN, which on 5.9.8 is always UDP-encapsulated), its VICI socket and
 * swanctl configuration under its directory, and a {@code filelog} at {@code ike = 4, chd = 4}, so the log holds the
 * keys tshark needs. The daemon is started with {@link ApplianceLab#spawn}, so {@link ApplianceLab#close()} stops it
 * by its handle even after a failure; {@link #stop()} stops it earlier.
 */
public final class StrongSwanLab {
    /** Plugins: crypto (openssl for 3DES/modp/ecp, gcm, curve25519), keys (pkcs8), userspace IPsec, VICI. */
    static final String PLUGINS = "random nonce openssl pem pkcs1 pkcs8 x509 pubkey sha1 sha2 hmac aes gcm kdf gmp "
            + "curve25519 kernel-libipsec kernel-netlink socket-default vici updown";
    private static final Pattern CHILD = Pattern.compile(
            "(?<name>[\\w-]+)-\\d+ \\{[^{}]*?state=(?<state>\\w+)[^{}]*?spi-in=(?<in>[0-9a-f]+) spi-out=(?<out>[0-9a-f]+)");

    private final ApplianceLab lab;
    private final String role;
    private final Path dir;
    private final Process process;

    private StrongSwanLab(ApplianceLab lab, String role, Path dir, Process process) {
        this.lab = lab;
        this.role = role;
        this.dir = dir;
        this.process = process;
    }

    /**
     * Starts charon in the namespace of {@code role} with {@code swanctlConf} (the body of swanctl.conf: its
     * {@code connections} and {@code secrets} sections), loads it, and returns once the connections are loaded.
     * Forwarding is switched on in the namespace, since charon routes the protected networks through its TUN device.
     */
    public static StrongSwanLab start(ApplianceLab lab, String role, String swanctlConf) throws Exception {
        return start(lab, role, swanctlConf, 1);
    }

    /**
     * As {@link #start(ApplianceLab, String, String)}, with libipsec's log ({@code esp}) at {@code espLogLevel}: at 2
     * it logs the SPI and sequence number of every inbound ESP packet ("parsed ESP header with SPI") and every one
     * that matched no installed SA, so a test can count packets per SPI on charon's side.
     */
    public static StrongSwanLab start(ApplianceLab lab, String role, String swanctlConf, int espLogLevel)
            throws Exception {
        return start(lab, role, swanctlConf, espLogLevel, "");
    }

    /**
     * As {@link #start(ApplianceLab, String, String, int)}, with {@code charonSettings} (strongswan.conf lines inside
     * {@code charon { }}, e.g. {@code keep_alive = 2s}).
     */
    public static StrongSwanLab start(ApplianceLab lab, String role, String swanctlConf, int espLogLevel,
                                      String charonSettings) throws Exception {
        Path dir = Files.createDirectories(lab.dir().resolve("strongswan-" + role));
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        Files.createDirectories(dir.resolve("run"));
        Files.createDirectories(dir.resolve("swanctl"));
        Files.writeString(dir.resolve("strongswan.conf"), """
                charon {
                    load = %s
                    install_routes = yes
                    retransmit_tries = 3
                    filelog {
                        log {
                            path = %s
                            time_format = %%s
                            flush_line = yes
                            ike_name = yes
                            default = 1
                            ike = 4
                            chd = 4
                            cfg = 2
                            knl = 2
                            net = 2
                            esp = %d
                        }
                    }
                    plugins { vici { socket = unix://%s } }
                    %s
                }
                """.formatted(PLUGINS, dir.resolve("charon.log"), espLogLevel, dir.resolve("charon.vici"), charonSettings));
        Path conf = dir.resolve("swanctl").resolve("swanctl.conf");
        Files.writeString(conf, swanctlConf);
        Files.setPosixFilePermissions(conf, PosixFilePermissions.fromString("rw-------"));
        // A lab that starts charon again in the same role reuses this directory: the previous charon's socket file
        // would pass the wait below before the new charon has replaced it.
        Files.deleteIfExists(dir.resolve("charon.vici"));
        Netns ns = lab.ns(role);
        ns.exec("sysctl", "-q", "-w", "net.ipv4.ip_forward=1");
        ns.exec("sysctl", "-q", "-w", "net.ipv6.conf.all.forwarding=1");
        Process p = lab.spawn(role, List.of("sh", "-c", "mount --bind " + dir.resolve("run") + " /run && STRONGSWAN_CONF="
                + dir.resolve("strongswan.conf") + " exec /usr/lib/ipsec/charon"), dir.resolve("charon.out"));
        StrongSwanLab s = new StrongSwanLab(lab, role, dir, p);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!Files.exists(dir.resolve("charon.vici"))) {
            if (!p.isAlive() || System.nanoTime() > deadline) {
                throw new IllegalStateException("charon in " + role + " did not open its VICI socket:\n" + s.output());
            }
            Thread.sleep(50);
        }
        // The socket file appears before charon listens on it (and charon may still replace it): retry while the
        // connection is refused or the file is gone.
        while (true) {
            try {
                s.swanctl("--load-all");
                return s;
            } catch (IllegalStateException e) {
                boolean early = e.getMessage().contains("Connection refused") || e.getMessage().contains("No such file or directory");
                if (!early || !p.isAlive() || System.nanoTime() > deadline) {
                    throw e;
                }
                Thread.sleep(100);
            }
        }
    }

    public Path dir() {
        return dir;
    }

    public Process process() {
        return process;
    }

    /** charon's file log (keys included, ike = 4). */
    public String log() throws IOException {
        Path l = dir.resolve("charon.log");
        return Files.exists(l) ? Files.readString(l, StandardCharsets.ISO_8859_1) : "";
    }

    private String output() throws IOException {
        Path o = dir.resolve("charon.out");
        return (Files.exists(o) ? Files.readString(o, StandardCharsets.ISO_8859_1) : "") + log();
    }

    /** Runs {@code swanctl ARGS --uri VICI} in the namespace; throws with the output when it fails. */
    public String swanctl(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("env", "STRONGSWAN_CONF=" + dir.resolve("strongswan.conf"),
                "SWANCTL_DIR=" + dir.resolve("swanctl"), "swanctl"));
        cmd.addAll(List.of(args));
        cmd.addAll(List.of("--uri", "unix://" + dir.resolve("charon.vici")));
        return lab.exec(role, cmd, Duration.ofSeconds(60));
    }

    /** {@code swanctl --initiate --child CHILD --ike IKE}: returns when the CHILD_SA is up (throws when it failed). */
    public String initiate(String ike, String child) throws Exception {
        return swanctl("--initiate", "--ike", ike, "--child", child, "--timeout", "30");
    }

    /** {@code swanctl --terminate --ike IKE}: Deletes to the peer. */
    public String terminate(String ike) throws Exception {
        return swanctl("--terminate", "--ike", ike, "--timeout", "30");
    }

    /** {@code swanctl --list-sas --raw}, the VICI message as text. */
    public String listSasRaw() throws Exception {
        return swanctl("--list-sas", "--raw");
    }

    /** One CHILD_SA of {@code swanctl --list-sas --raw}: name, state, SPIs as 8 hex digits. */
    public record ChildSa(String name, String state, String spiIn, String spiOut) {
    }

    /** The CHILD_SAs {@link #listSasRaw()} shows. */
    public List<ChildSa> childSas() throws Exception {
        return parseChildSas(listSasRaw());
    }

    static List<ChildSa> parseChildSas(String raw) {
        List<ChildSa> out = new ArrayList<>();
        Matcher m = CHILD.matcher(raw);
        while (m.find()) {
            out.add(new ChildSa(m.group("name"), m.group("state"), pad(m.group("in")), pad(m.group("out"))));
        }
        return out;
    }

    private static String pad(String hex) {
        return "0".repeat(Math.max(0, 8 - hex.length())) + hex;
    }

    /** Waits until {@link #childSas()} shows an INSTALLED CHILD_SA named {@code child}; null after {@code timeout}. */
    public ChildSa awaitChild(String child, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            for (ChildSa c : childSas()) {
                if (c.name().equals(child) && c.state().equals("INSTALLED")) {
                    return c;
                }
            }
            Thread.sleep(200);
        }
        return null;
    }

    /** SIGTERM to this charon (it sends no Deletes on SIGTERM unless configured; the test decides what it needs). */
    public void stop() {
        if (process.isAlive()) {
            Netns.stop(process, 5000);
        }
    }
}
