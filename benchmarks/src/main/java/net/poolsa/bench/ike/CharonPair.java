package net.poolsa.bench.ike;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Two strongSwan 5.9 charon daemons, the initiator and the responder, each in a network namespace of its own
 * (names carry this JVM's PID) joined by a veth pair, the initiator with one address of 192.0.2.0/24 per tunnel and
 * the responder with one ({@link Tunnels}); the recipe of shared/lab/NOTES.md:
 * a private /run per daemon, an explicit plugin list with {@code kernel-libipsec} (userspace ESP, so charon fakes a
 * NAT and floats to UDP/4500), connections loaded with swanctl. Driven over VICI: {@code initiate} without waiting
 * ({@code timeout = -1}), completion from the {@code child-updown} events of both daemons, teardown by
 * {@code terminate} and the {@code ike-updown} events. CPU time is utime + stime of both charon processes from
 * /proc/PID/stat (all their threads). Both namespaces, and the daemons in them, are removed by {@link #close()}.
 */
final class CharonPair extends SetupPair {
    /** The plugins of appliance/.../StrongSwanLab: openssl does modp and ecp, libipsec the ESP. */
    static final String PLUGINS = "random nonce openssl pem pkcs1 pkcs8 x509 pubkey sha1 sha2 hmac aes gcm kdf gmp "
            + "curve25519 kernel-libipsec kernel-netlink socket-default vici updown";
    /** The IKE addresses' network on the veth (RFC 5737 TEST-NET-1). */
    private static final String NET = "192.0.2.";
    private static final AtomicInteger COUNTER = new AtomicInteger();
    private static final long CLOCK_TICK_NANOS = 10_000_000L; // USER_HZ = 100 on Linux (getconf CLK_TCK)

    private final Path dir;
    private final boolean fullExponents;
    private final BenchPki pki;
    private final List<String> namespaces = new ArrayList<>();
    private final List<Process> daemons = new ArrayList<>();
    private final List<Vici> events = new ArrayList<>();
    private final List<Thread> readers = new ArrayList<>();
    private final AtomicInteger[] downs = {new AtomicInteger(), new AtomicInteger()};
    private Vici command;
    private volatile String readerFailure;
    private volatile boolean closing;

    private CharonPair(Path dir, boolean fullExponents, BenchPki pki) {
        this.dir = dir;
        this.fullExponents = fullExponents;
        this.pki = pki;
    }

    /** Needs root, strongswan-charon, strongswan-swanctl, libstrongswan-standard-plugins. */
    static CharonPair start(int n, DhGroup group, AuthMode auth, BenchPki pki, Path work, boolean fullExponents)
            throws Exception {
        Path dir = Files.createTempDirectory(work, "strongswan-");
        CharonPair p = new CharonPair(dir, fullExponents, pki);
        try {
            p.setUp(n, group, auth);
        } catch (Exception | Error e) {
            p.close();
            throw e;
        }
        return p;
    }

    private void setUp(int n, DhGroup group, AuthMode auth) throws Exception {
        long pid = ProcessHandle.current().pid();
        int c = COUNTER.incrementAndGet();
        String nsI = "poolsa-sbi-" + pid + "-" + c;
        String nsR = "poolsa-sbr-" + pid + "-" + c;
        run("ip", "netns", "add", nsI);
        namespaces.add(nsI);
        run("ip", "netns", "add", nsR);
        namespaces.add(nsR);
        run("ip", "-n", nsI, "link", "add", "vi", "type", "veth", "peer", "name", "vr", "netns", nsR);
        StringBuilder bi = new StringBuilder("link set lo up\nlink set vi up\n");
        StringBuilder br = new StringBuilder("link set lo up\nlink set vr up\naddr add " + Tunnels.responderHost(NET)
                + "/24 dev vr\n");
        for (int k = 0; k < n; k++) {
            bi.append("addr add ").append(Tunnels.initiatorHost(NET, k)).append("/24 dev vi\n");
            // an address inside each local selector: kernel-libipsec routes the tunnel's traffic from it
            bi.append("addr add ").append(Tunnels.left(k)).append(" dev lo\n");
            br.append("addr add ").append(Tunnels.right(k)).append(" dev lo\n");
        }
        batch(nsI, bi.toString());
        batch(nsR, br.toString());
        startDaemon(nsI, "initiator", n, group, auth, true);
        startDaemon(nsR, "responder", n, group, auth, false);
        command = Vici.connect(dir.resolve("initiator").resolve("charon.vici"));
    }

    private void startDaemon(String ns, String role, int n, DhGroup group, AuthMode auth, boolean initiatorSide)
            throws Exception {
        Path d = Files.createDirectories(dir.resolve(role));
        Files.setPosixFilePermissions(d, PosixFilePermissions.fromString("rwx------"));
        Files.createDirectories(d.resolve("run"));
        Files.createDirectories(d.resolve("swanctl"));
        // Tuned for many IKE SAs (strongSwan's own advice for load tests): a hashed IKE_SA table, no half-open limits.
        // MODP exponents: "no" is strongSwan's exponent size matched to the group's strength, like poolsa's;
        // "yes" (its default) draws them of the prime's size.
        Files.writeString(d.resolve("strongswan.conf"), """
                charon {
                    load = %s
                    install_routes = yes
                    ikesa_table_size = 1024
                    ikesa_table_segments = 16
                    block_threshold = 0
                    init_limit_half_open = 0
                    dh_exponent_ansi_x9_42 = %s
                    filelog {
                        log {
                            path = %s
                            time_format = %%s
                            default = 1
                        }
                    }
                    syslog { daemon { default = -1 } }
                    plugins { vici { socket = unix://%s } }
                }
                """.formatted(PLUGINS, fullExponents ? "yes" : "no", d.resolve("charon.log"),
                        d.resolve("charon.vici")));
        StringBuilder conf = new StringBuilder("connections {\n");
        for (int k = 0; k < n; k++) {
            String lt = initiatorSide ? Tunnels.left(k) : Tunnels.right(k);
            String rt = initiatorSide ? Tunnels.right(k) : Tunnels.left(k);
            String local = initiatorSide ? Tunnels.initiatorHost(NET, k) : Tunnels.responderHost(NET);
            String remote = initiatorSide ? Tunnels.responderHost(NET) : Tunnels.initiatorHost(NET, k);
            conf.append("""
                    %s {
                        version = 1
                        local_addrs = %s
                        remote_addrs = %s
                        proposals = %s
                        unique = never
                        local { %s }
                        remote { %s }
                        children {
                            %s { local_ts = %s
                                 remote_ts = %s
                                 esp_proposals = %s }
                        }
                    }
                    """.formatted(Tunnels.name(k), local, remote, group.ikeProposal(),
                    auth.swanctlAuth(initiatorSide, true), auth.swanctlAuth(initiatorSide, false), Tunnels.name(k), lt, rt, group.espProposal()));
        }
        conf.append("}\n").append(auth.swanctlSecrets());
        auth.installForSwanctl(pki, d.resolve("swanctl"), initiatorSide);
        Path swanctl = d.resolve("swanctl").resolve("swanctl.conf");
        Files.writeString(swanctl, conf.toString());
        Files.setPosixFilePermissions(swanctl, PosixFilePermissions.fromString("rw-------"));
        ProcessBuilder pb = new ProcessBuilder("ip", "netns", "exec", ns, "sh", "-c", "mount --bind " + d.resolve("run")
                + " /run && STRONGSWAN_CONF=" + d.resolve("strongswan.conf") + " exec /usr/lib/ipsec/charon");
        pb.redirectErrorStream(true).redirectOutput(d.resolve("charon.out").toFile());
        Process p = pb.start();
        daemons.add(p);
        Path vici = d.resolve("charon.vici");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        Vici ev = null;
        while (ev == null) {
            if (!p.isAlive() || System.nanoTime() > deadline) {
                throw new IllegalStateException("charon (" + role + ") did not open its VICI socket: "
                        + Files.readString(d.resolve("charon.out"), StandardCharsets.ISO_8859_1));
            }
            if (Files.exists(vici)) {
                try {
                    ev = Vici.connect(vici);
                } catch (IOException refused) {
                    ev = null; // the file exists before charon listens on it
                }
            }
            if (ev == null) {
                Thread.sleep(50);
            }
        }
        events.add(ev);
        ev.register("child-updown");
        ev.register("ike-updown");
        Vici reader = ev;
        AtomicInteger down = downs[initiatorSide ? 0 : 1];
        Thread t = new Thread(() -> read(reader, initiatorSide, down), "vici-" + role);
        t.setDaemon(true);
        t.start();
        readers.add(t);
        run("env", "STRONGSWAN_CONF=" + d.resolve("strongswan.conf"), "SWANCTL_DIR=" + d.resolve("swanctl"),
                "swanctl", "--load-all", "--uri", "unix://" + vici);
        if (!Files.readString(Path.of("/proc", Long.toString(p.pid()), "comm")).trim().equals("charon")) {
            throw new IllegalStateException("process " + p.pid() + " is not charon: its CPU time would be another's");
        }
    }

    /** Events of one daemon: child-updown (up) marks its side of the tunnel, ike-updown (down) counts teardowns. */
    private void read(Vici v, boolean initiatorSide, AtomicInteger down) {
        try {
            while (true) {
                Vici.Event e = v.nextEvent();
                long now = System.nanoTime();
                boolean up = "yes".equals(e.message().get("up"));
                if (e.name().equals("child-updown") && up) {
                    Completions c = round;
                    if (c != null) {
                        for (String child : childNames(e.message())) {
                            c.up(Tunnels.index(child), initiatorSide, now);
                        }
                    }
                } else if (e.name().equals("ike-updown") && !up) {
                    down.incrementAndGet();
                }
            }
        } catch (IOException closed) {
            if (!closing) {
                readerFailure = closed.toString();
                Completions c = round;
                if (c != null) {
                    c.failed("VICI events: " + closed);
                }
            }
        }
    }

    /** The {@code name} of every CHILD_SA in an updown event: {IKE name: {child-sas: {NAME-ID: {name: ...}}}}. */
    @SuppressWarnings("unchecked")
    static List<String> childNames(Map<String, Object> message) {
        List<String> out = new ArrayList<>();
        for (Object ike : message.values()) {
            if (ike instanceof Map<?, ?> m && m.get("child-sas") instanceof Map<?, ?> children) {
                for (Object child : children.values()) {
                    if (child instanceof Map<?, ?> cm && cm.get("name") instanceof String name) {
                        out.add(name);
                    }
                }
            }
        }
        return out;
    }

    @Override
    String product() {
        return "strongswan";
    }

    @Override
    void initiate(int k) throws IOException {
        Map<String, String> args = new LinkedHashMap<>();
        args.put("child", Tunnels.name(k));
        args.put("ike", Tunnels.name(k));
        args.put("timeout", "-1");
        Map<String, Object> r = command.call("initiate", args);
        if (!"yes".equals(r.get("success"))) {
            round.failed("charon: initiate " + Tunnels.name(k) + ": " + r.get("errmsg"));
        }
    }

    @Override
    long cpuNanos() throws IOException {
        long ticks = 0;
        for (Process p : daemons) {
            String stat = Files.readString(Path.of("/proc", Long.toString(p.pid()), "stat"));
            // fields after "(comm)": state is field 3, utime 14, stime 15 (proc(5))
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            ticks += Long.parseLong(f[11]) + Long.parseLong(f[12]);
        }
        return ticks * CLOCK_TICK_NANOS;
    }

    @Override
    void terminateAll(int n) throws Exception {
        round = null;
        int before0 = downs[0].get();
        int before1 = downs[1].get();
        for (int k = 0; k < n; k++) {
            Map<String, String> args = new LinkedHashMap<>();
            args.put("ike", Tunnels.name(k));
            args.put("timeout", "-1");
            command.call("terminate", args);
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (downs[0].get() - before0 < n || downs[1].get() - before1 < n) {
            if (System.nanoTime() > deadline || readerFailure != null) {
                throw new IllegalStateException("strongSwan: " + (downs[0].get() - before0) + " and "
                        + (downs[1].get() - before1) + " of " + n + " IKE SAs down 30 s after terminating them"
                        + (readerFailure == null ? "" : " (" + readerFailure + ")"));
            }
            Thread.sleep(20);
        }
    }

    @Override
    public void close() {
        closing = true;
        try {
            if (command != null) {
                command.close();
            }
        } catch (IOException ignored) {
            // closing anyway
        }
        for (Process p : daemons) {
            p.destroy();
            try {
                if (!p.waitFor(5, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    p.waitFor(2, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        for (Vici v : events) {
            try {
                v.close();
            } catch (IOException ignored) {
                // the daemon is gone
            }
        }
        for (String ns : namespaces) {
            try {
                run("ip", "netns", "del", ns);
            } catch (Exception e) {
                System.err.println("could not delete namespace " + ns + ": " + e.getMessage());
            }
        }
    }

    private void batch(String ns, String commands) throws Exception {
        Path f = Files.createTempFile(dir, "ip-", ".batch");
        Files.writeString(f, commands);
        run("ip", "-n", ns, "-batch", f.toString());
    }

    private static void run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException(String.join(" ", cmd) + " failed: " + out);
        }
    }
}
