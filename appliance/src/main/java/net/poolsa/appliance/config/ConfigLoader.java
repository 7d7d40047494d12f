package net.poolsa.appliance.config;

import java.io.IOException;
import java.io.Reader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.Node;

import net.poolsa.appliance.config.ConnectionConfig.Authentication;
import net.poolsa.appliance.config.ConnectionConfig.DpdConfig;
import net.poolsa.appliance.config.ConnectionConfig.ManualSaConfig;
import net.poolsa.appliance.config.DataPathConfig.InterfaceConfig;
import net.poolsa.appliance.config.DataPathConfig.SinkConfig;
import net.poolsa.appliance.config.DataPathConfig.SinkType;
import net.poolsa.esp.crypto.EspAlgorithm;
import net.poolsa.esp.crypto.IntegrityAlgorithm;
import net.poolsa.esp.crypto.IpsecAlgorithms;
import net.poolsa.esp.path.PathTimers;
import net.poolsa.esp.pipeline.DataPlaneConfig;
import net.poolsa.esp.sa.AddressPool;
import net.poolsa.esp.sa.IpLiterals;
import net.poolsa.esp.sa.IpsecProtocol;
import net.poolsa.esp.sa.Lifetime;
import net.poolsa.esp.sa.SaMode;
import net.poolsa.esp.sa.UdpEncapsulation;
import net.poolsa.esp.transform.NatTraversal;
import net.poolsa.ike.IkeConnection;

/**
 * Reads and validates the YAML configuration (see {@code packaging/src/deb/etc/poolsa/poolsa.yaml} for a
 * commented example). Every refusal is a {@link ConfigException} naming file, line and field. Relative
 * secret paths are resolved against the configuration file's directory.
 */
public final class ConfigLoader {
    private static final Pattern IFNAME = Pattern.compile("[A-Za-z0-9_.\\-]{1,15}");
    private static final Pattern CONNECTION_NAME = Pattern.compile("[A-Za-z0-9_\\-]{1,64}");
    private static final Pattern DURATION = Pattern.compile("(\\d{1,12})(ms|s|m)");

    private ConfigLoader() {
    }

    public static PoolsaConfig load(Path file) throws ConfigException {
        return new ConfigLoader().parse(new ConfigNode(file, "", compose(file)));
    }

    /**
     * Only the metrics endpoint address, without reading secret files: what {@code poolsa status} needs to
     * find the running instance, so an operator need not be allowed to read the keys.
     */
    public static InetSocketAddress metricsAddress(Path file) throws ConfigException {
        ConfigNode root = new ConfigNode(file, "", compose(file));
        Map<String, ConfigNode> top = root.mapping(null);
        if (!top.containsKey("metrics")) {
            return new InetSocketAddress(InetAddress.getLoopbackAddress(), MetricsConfig.DEFAULT_PORT);
        }
        return metrics(top.get("metrics")).listen();
    }

    private static Node compose(Path file) throws ConfigException {
        Node root;
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            LoaderOptions opts = new LoaderOptions();
            opts.setAllowDuplicateKeys(false);
            opts.setMaxAliasesForCollections(10);
            root = new Yaml(opts).compose(r);
        } catch (MarkedYAMLException e) {
            int line = e.getProblemMark() == null ? 0 : e.getProblemMark().getLine() + 1;
            throw new ConfigException(file, line, "", "not valid YAML: " + e.getProblem());
        } catch (YAMLException e) {
            throw new ConfigException(file, 0, "", "not valid YAML: " + e.getMessage());
        } catch (IOException e) {
            throw new ConfigException(file, 0, "", "cannot read: " + e);
        }
        if (root == null) {
            throw new ConfigException(file, 0, "", "the file is empty");
        }
        return root;
    }

    private PoolsaConfig parse(ConfigNode root) throws ConfigException {
        Map<String, ConfigNode> top = root.mapping(Set.of("metrics", "data-path", "connections", "sa-file", "ike"));
        IkeSettings ike = top.containsKey("ike") ? IkeConfigReader.settings(top.get("ike")) : IkeSettings.DEFAULT;
        MetricsConfig metrics = top.containsKey("metrics") ? metrics(top.get("metrics"))
                : new MetricsConfig(new InetSocketAddress(InetAddress.getLoopbackAddress(), MetricsConfig.DEFAULT_PORT));
        DataPathConfig dataPath = dataPath(required(root, top, "data-path"));
        Map<String, ConnectionConfig> connections = new LinkedHashMap<>();
        ConfigNode conns = top.containsKey("sa-file") ? top.get("connections") : required(root, top, "connections");
        Map<Integer, String> spiIn = new HashMap<>();
        Map<Integer, String> reqids = new HashMap<>();
        if (conns != null) {
            for (Map.Entry<String, ConfigNode> e : conns.mapping(null).entrySet()) {
                if (!CONNECTION_NAME.matcher(e.getKey()).matches()) {
                    throw e.getValue().error("connection names are 1-64 letters, digits, '-' or '_'");
                }
                if (e.getKey().startsWith(SetkeyFile.NAME_PREFIX)) {
                    throw e.getValue().error("names starting with '" + SetkeyFile.NAME_PREFIX + "' are kept for the sa-file's connections");
                }
                ConnectionConfig c = connection(e.getKey(), e.getValue(), dataPath, spiIn, reqids, connections.values());
                connections.put(c.name(), c);
            }
        }
        if (top.containsKey("sa-file")) {
            ConfigNode n = top.get("sa-file");
            Path file = resolve(n);
            byte[] text = SecretFiles.readChecked(n, file); // holds keys: owner-only permissions, like a key file
            try {
                for (SetkeyFile.Entry e : SetkeyFile.parse(file, text)) {
                    ConnectionConfig c = e.connection();
                    ConnectionChecks.Problem problem = ConnectionChecks.check(c, dataPath);
                    if (problem == null) {
                        problem = ConnectionChecks.unique(c, spiIn, reqids);
                    }
                    if (problem != null) {
                        throw e.error(problem.field(), problem.message());
                    }
                    connections.put(c.name(), c);
                }
            } finally {
                java.util.Arrays.fill(text, (byte) 0);
            }
        }
        if (connections.isEmpty()) {
            throw (conns != null ? conns : top.get("sa-file")).error("at least one connection is needed");
        }
        return new PoolsaConfig(root.file(), metrics, dataPath, connections, ike);
    }

    static ConfigNode required(ConfigNode parent, Map<String, ConfigNode> m, String key) throws ConfigException {
        ConfigNode n = m.get(key);
        if (n == null) {
            throw new ConfigException(parent.file(), parent.line(),
                    parent.path().isEmpty() ? key : parent.path() + "." + key, "required field is missing");
        }
        return n;
    }

    private static MetricsConfig metrics(ConfigNode n) throws ConfigException {
        Map<String, ConfigNode> m = n.mapping(Set.of("listen"));
        ConfigNode listen = required(n, m, "listen");
        return new MetricsConfig(socketAddress(listen));
    }

    /** "127.0.0.1:9742", "[::1]:9742" or ":9742" (all addresses); literals only, never a DNS lookup. */
    static InetSocketAddress socketAddress(ConfigNode n) throws ConfigException {
        String v = n.string();
        int colon = v.lastIndexOf(':');
        if (colon < 0) {
            throw n.error("'" + v + "' is not ADDRESS:PORT");
        }
        String host = v.substring(0, colon);
        int port;
        try {
            port = Integer.parseInt(v.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw n.error("'" + v.substring(colon + 1) + "' is not a port number");
        }
        if (port < 0 || port > 65535) {
            // Port 0 asks the kernel for a free port (tests, several instances on one host).
            throw n.error("port " + port + " is not within 0-65535");
        }
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        if (host.isEmpty()) {
            return new InetSocketAddress(port);
        }
        return new InetSocketAddress(literal(n, host), port);
    }

    private static InetAddress literal(ConfigNode n, String text) throws ConfigException {
        try {
            byte[] b = IpLiterals.parse(text);
            return InetAddress.getByAddress(b);
        } catch (IllegalArgumentException | java.net.UnknownHostException e) {
            throw n.error("'" + text + "' is not an IPv4 or IPv6 address");
        }
    }

    private static DataPathConfig dataPath(ConfigNode n) throws ConfigException {
        Map<String, ConfigNode> m = n.mapping(Set.of("capture", "uplinks", "sink", "mtu", "immediate-capture", "failover",
                "event-loops"));
        List<InterfaceConfig> capture = interfaces(required(n, m, "capture"));
        List<InterfaceConfig> uplinks = interfaces(required(n, m, "uplinks"));
        ConfigNode sinkNode = required(n, m, "sink");
        Map<String, ConfigNode> s = sinkNode.mapping(Set.of("interface", "type"));
        String sinkName = ifname(required(sinkNode, s, "interface"));
        SinkType type = s.containsKey("type")
                ? SinkType.valueOf(s.get("type").oneOf("dummy", "ifb", "veth", "tun").toUpperCase(java.util.Locale.ROOT))
                : SinkType.DUMMY;
        int mtu = m.containsKey("mtu") ? (int) m.get("mtu").integer(1280, 65535) : 1500;
        Set<String> seen = new java.util.HashSet<>();
        for (InterfaceConfig i : concat(capture, uplinks)) {
            if (!seen.add(i.name())) {
                throw n.error("interface " + i.name() + " is listed twice (capture and uplink interfaces must differ)");
            }
        }
        if (seen.contains(sinkName)) {
            throw sinkNode.error("the sink " + sinkName + " must not be a capture or uplink interface");
        }
        boolean immediate = !m.containsKey("immediate-capture") || m.get("immediate-capture").bool();
        PathTimers failover = m.containsKey("failover") ? failover(m.get("failover")) : PathTimers.DEFAULTS;
        int loops = m.containsKey("event-loops")
                ? (int) m.get("event-loops").integer(1, DataPlaneConfig.MAX_EVENT_LOOPS) : DataPlaneConfig.defaultEventLoops();
        return new DataPathConfig(capture, uplinks, new SinkConfig(sinkName, type), mtu, immediate, failover, loops);
    }

    /**
     * {@code data-path.failover}: path monitoring's timers (BFD-style, RFC 5880 §6.8.4), each optional, defaults from
     * {@link PathTimers#DEFAULTS}. Ranges and their relations are checked by {@link PathTimers} itself.
     */
    private static PathTimers failover(ConfigNode n) throws ConfigException {
        Map<String, ConfigNode> m = n.mapping(Set.of("probe-interval", "idle-probe-interval", "detect-multiplier",
                "max-probe-rate", "switch-back-after", "switch-limit", "switch-limit-window"));
        PathTimers d = PathTimers.DEFAULTS;
        Duration probe = m.containsKey("probe-interval") ? duration(m.get("probe-interval")) : d.probeInterval();
        Duration idle = m.containsKey("idle-probe-interval") ? duration(m.get("idle-probe-interval")) : d.idleProbeInterval();
        int multiplier = m.containsKey("detect-multiplier")
                ? (int) m.get("detect-multiplier").integer(1, PathTimers.MAX_DETECT_MULTIPLIER) : d.detectMultiplier();
        int rate = m.containsKey("max-probe-rate")
                ? (int) m.get("max-probe-rate").integer(1, PathTimers.MAX_PROBES_PER_SECOND) : d.maxProbesPerSecond();
        Duration back = m.containsKey("switch-back-after") ? duration(m.get("switch-back-after")) : d.switchBackAfter();
        int limit = m.containsKey("switch-limit") ? (int) m.get("switch-limit").integer(1, PathTimers.MAX_SWITCH_LIMIT)
                : d.switchLimit();
        Duration window = m.containsKey("switch-limit-window") ? duration(m.get("switch-limit-window")) : d.switchLimitWindow();
        try {
            return new PathTimers(probe, idle, multiplier, rate, back, limit, window);
        } catch (IllegalArgumentException e) {
            throw n.error(e.getMessage());
        }
    }

    /** "40ms", "5s", "2m": a whole number and a unit. */
    static Duration duration(ConfigNode n) throws ConfigException {
        Matcher m = DURATION.matcher(n.string());
        if (!m.matches()) {
            throw n.error("'" + n.string() + "' is not a duration like 40ms, 5s or 2m");
        }
        long v;
        try {
            v = Long.parseLong(m.group(1));
        } catch (NumberFormatException e) {
            throw n.error("'" + n.string() + "' is too large");
        }
        return switch (m.group(2)) {
            case "ms" -> Duration.ofMillis(v);
            case "s" -> Duration.ofSeconds(v);
            default -> Duration.ofMinutes(v);
        };
    }

    private static List<InterfaceConfig> concat(List<InterfaceConfig> a, List<InterfaceConfig> b) {
        List<InterfaceConfig> out = new ArrayList<>(a);
        out.addAll(b);
        return out;
    }

    private static List<InterfaceConfig> interfaces(ConfigNode n) throws ConfigException {
        List<InterfaceConfig> out = new ArrayList<>();
        for (ConfigNode i : n.sequence()) {
            Map<String, ConfigNode> m = i.mapping(Set.of("interface", "addresses"));
            String name = ifname(required(i, m, "interface"));
            List<String> addrs = new ArrayList<>();
            if (m.containsKey("addresses")) {
                for (ConfigNode a : m.get("addresses").sequence()) {
                    addrs.add(interfaceAddress(a));
                }
            }
            out.add(new InterfaceConfig(name, addrs));
        }
        if (out.isEmpty()) {
            throw n.error("at least one interface is needed");
        }
        return out;
    }

    /** "198.51.100.1/28": an address of ours with the prefix length of its link. */
    private static String interfaceAddress(ConfigNode n) throws ConfigException {
        String v = n.string();
        int slash = v.indexOf('/');
        String addr = slash < 0 ? v : v.substring(0, slash);
        byte[] b;
        try {
            b = IpLiterals.parse(addr);
        } catch (IllegalArgumentException e) {
            throw n.error("'" + addr + "' is not an IPv4 or IPv6 address");
        }
        if (slash >= 0) {
            int len;
            try {
                len = Integer.parseInt(v.substring(slash + 1));
            } catch (NumberFormatException e) {
                throw n.error("'" + v + "': prefix length is not a number");
            }
            if (len < 0 || len > b.length * 8) {
                throw n.error("'" + v + "': prefix length must be 0-" + (b.length * 8));
            }
        }
        return v;
    }

    private static String ifname(ConfigNode n) throws ConfigException {
        String v = n.string();
        if (!IFNAME.matcher(v).matches()) {
            throw n.error("'" + v + "' is not a Linux interface name (1-15 letters, digits, '.', '-', '_')");
        }
        return v;
    }

    private static final Set<String> CONNECTION_FIELDS = Set.of("mode", "protocol", "local-outer", "remote-outer",
            "local-protected", "remote-protected", "reqid", "ike-proposals", "esp-proposals", "lifetime", "dpd",
            "replay-window", "esn", "udp-encapsulation", "manual", "authentication", "start-action", "ike-lifetime",
            "ah-proposals", "rekey", "ike-lifetime-kilobytes");

    private ConnectionConfig connection(String name, ConfigNode n, DataPathConfig dataPath, Map<Integer, String> spiIn,
                                        Map<Integer, String> reqids, java.util.Collection<ConnectionConfig> earlier)
            throws ConfigException {
        Map<String, ConfigNode> m = n.mapping(CONNECTION_FIELDS);
        SaMode mode = m.containsKey("mode")
                ? SaMode.valueOf(m.get("mode").oneOf("tunnel", "transport").toUpperCase(java.util.Locale.ROOT))
                : SaMode.TUNNEL;
        IpsecProtocol protocol = m.containsKey("protocol")
                ? IpsecProtocol.valueOf(m.get("protocol").oneOf("esp", "ah").toUpperCase(java.util.Locale.ROOT))
                : IpsecProtocol.ESP;
        AddressPool localOuter = required(n, m, "local-outer").pool();
        AddressPool remoteOuter = required(n, m, "remote-outer").pool();
        AddressPool localProtected;
        AddressPool remoteProtected;
        if (mode == SaMode.TUNNEL) {
            localProtected = required(n, m, "local-protected").pool();
            remoteProtected = required(n, m, "remote-protected").pool();
        } else {
            // Transport mode protects the endpoints' own traffic: the selectors lie within the outer pools.
            localProtected = m.containsKey("local-protected") ? m.get("local-protected").pool() : localOuter;
            remoteProtected = m.containsKey("remote-protected") ? m.get("remote-protected").pool() : remoteOuter;
            if (!localOuter.covers(localProtected)) {
                throw m.get("local-protected").error("in transport mode the protected pool must lie within local-outer");
            }
            if (!remoteOuter.covers(remoteProtected)) {
                throw m.get("remote-protected").error("in transport mode the protected pool must lie within remote-outer");
            }
        }
        int reqid = m.containsKey("reqid") ? (int) m.get("reqid").integer(1, 0xFFFF) : 0;
        Lifetime lifetime = m.containsKey("lifetime") ? lifetime(m.get("lifetime"), !m.containsKey("manual"))
                : Lifetime.UNLIMITED;
        DpdConfig dpd = IkeConfigReader.dpd(m.get("dpd"), dataPath.failover(), m.containsKey("authentication"));
        int replayWindow = m.containsKey("replay-window") ? (int) m.get("replay-window").integer(0, 1 << 20) : 64;
        boolean esn = m.containsKey("esn") && m.get("esn").bool();
        UdpEncapsulation udp = null;
        if (m.containsKey("udp-encapsulation")) {
            if (protocol != IpsecProtocol.ESP) {
                throw m.get("udp-encapsulation").error("UDP encapsulation (RFC 3948) applies to ESP only");
            }
            udp = udpEncapsulation(m.get("udp-encapsulation"));
        }
        ManualSaConfig manual = m.containsKey("manual") ? manual(m.get("manual"), protocol) : null;
        Authentication auth = m.containsKey("authentication") ? IkeConfigReader.authentication(m.get("authentication")) : null;
        if (manual == null && auth == null) {
            throw n.error("give either 'manual' SAs or 'authentication' for IKE");
        }
        if (manual != null && auth != null) {
            throw m.get("authentication").error("a manually keyed connection has no IKE authentication; remove one of 'manual' and 'authentication'");
        }
        IkeFields.Values ike = IkeFields.parse(n, m, protocol, auth);
        if (manual == null) {
            // the engine's default here too: the loaded connection holds what its SAs get, and check-config
            // refuses a rekey-time the default cannot keep at its line
            try {
                lifetime = IkeConnection.withDefaultTime(lifetime);
            } catch (IllegalArgumentException e) {
                throw m.get("lifetime").error(e.getMessage());
            }
        }
        ConnectionConfig c = new ConnectionConfig(name, mode, protocol, localOuter, remoteOuter, localProtected,
                remoteProtected, reqid, ike.ikeProposals(), ike.espProposals(), lifetime, dpd, replayWindow, esn, udp,
                manual, auth, ike.startAction(), ike.ikeLifetimeSeconds(), ike.ahBundleProposals(), ike.rekey());
        ConnectionChecks.Problem problem = ConnectionChecks.check(c, dataPath);
        if (problem == null) {
            problem = ConnectionChecks.unique(c, spiIn, reqids);
        }
        if (problem == null) {
            problem = ConnectionChecks.samePeer(c, earlier);
        }
        if (problem != null) {
            throw node(n, m, problem.field()).error(problem.message());
        }
        return c;
    }

    /** Where a connection-level problem was written in the YAML file. */
    private static ConfigNode node(ConfigNode connection, Map<String, ConfigNode> m, ConnectionChecks.Field f)
            throws ConfigException {
        ConfigNode n = switch (f) {
            case LOCAL_OUTER -> m.get("local-outer");
            case REMOTE_OUTER -> m.get("remote-outer");
            case REMOTE_PROTECTED -> m.get("remote-protected");
            case SPI_IN, BUNDLE_SPI_IN -> m.get("manual").mapping(null).get("spi-in");
            case REQID -> m.get("reqid");
            case LIFE_BYTES -> m.get("lifetime").mapping(null).get("life-bytes");
            case PSK_FILE -> m.get("authentication").mapping(null).get("psk-file");
            case IKE_PROPOSALS -> m.get("ike-proposals");
        };
        return n != null ? n : connection;
    }

    /**
     * The {@code lifetime:} mapping. For an IKE-keyed connection ({@code ikeKeyed}) a {@code life-*} without its
     * {@code rekey-*} gets a soft limit at 9/10 of it ({@link IkeConnection#defaultSoft}): otherwise the SA expires
     * hard with traffic on it and nothing rekeys it before. An explicit {@code rekey-*: 0} keeps no soft limit (as
     * strongSwan's {@code rekey_time = 0}). Manually keyed SAs cannot be rekeyed: theirs stay as given.
     */
    private static Lifetime lifetime(ConfigNode n, boolean ikeKeyed) throws ConfigException {
        Map<String, ConfigNode> m = n.mapping(Set.of("rekey-time", "life-time", "rekey-bytes", "life-bytes",
                "rekey-packets", "life-packets"));
        long[] v = new long[6];
        String[] keys = {"rekey-time", "life-time", "rekey-bytes", "life-bytes", "rekey-packets", "life-packets"};
        for (int i = 0; i < keys.length; i++) {
            v[i] = m.containsKey(keys[i]) ? m.get(keys[i]).integer(0, Long.MAX_VALUE) : 0;
        }
        for (int i = 0; ikeKeyed && i < keys.length; i += 2) {
            if (!m.containsKey(keys[i]) && v[i + 1] > 0) {
                v[i] = IkeConnection.defaultSoft(v[i + 1]);
            }
        }
        try {
            return new Lifetime(v[0], v[1], v[2], v[3], v[4], v[5]);
        } catch (IllegalArgumentException e) {
            throw n.error(e.getMessage() + " (rekey-* must not exceed life-*)");
        }
    }

    private static UdpEncapsulation udpEncapsulation(ConfigNode n) throws ConfigException {
        Map<String, ConfigNode> m = n.mapping(Set.of("local-port", "remote-port"));
        int local = m.containsKey("local-port") ? (int) m.get("local-port").integer(1, 65535) : NatTraversal.PORT;
        if (local != NatTraversal.PORT) {
            // remote-port may differ (a NAT maps the peer's 4500 to another port); our own end is 4500 only.
            throw m.get("local-port").error("local port " + local + " is not supported: the uplink capture filter, the "
                    + "decoder and the host's drop rule know UDP-encapsulated ESP on port " + NatTraversal.PORT + " only "
                    + "(RFC 3948), so packets sent to " + local + " would never reach poolsa; leave local-port at "
                    + NatTraversal.PORT);
        }
        int remote = m.containsKey("remote-port") ? (int) m.get("remote-port").integer(1, 65535) : NatTraversal.PORT;
        return new UdpEncapsulation(local, remote);
    }

    private static ManualSaConfig manual(ConfigNode n, IpsecProtocol protocol) throws ConfigException {
        Map<String, ConfigNode> m = n.mapping(Set.of("spi-in", "spi-out", "encryption", "integrity",
                "encryption-key-in", "encryption-key-out", "integrity-key-in", "integrity-key-out"));
        int spiIn = spi(required(n, m, "spi-in"));
        int spiOut = spi(required(n, m, "spi-out"));
        List<String> integrityNames = new ArrayList<>(IpsecAlgorithms.integrityNames());
        integrityNames.add(IntegrityAlgorithm.NONE.ikeName());
        EspAlgorithm enc;
        IntegrityAlgorithm integ;
        if (protocol == IpsecProtocol.AH) {
            if (m.containsKey("encryption")) {
                throw m.get("encryption").error("AH (RFC 4302) does not encrypt; remove this field");
            }
            enc = EspAlgorithm.NONE;
            integ = IntegrityAlgorithm.of(required(n, m, "integrity").oneOf(integrityNames.toArray(String[]::new)));
        } else {
            enc = EspAlgorithm.of(required(n, m, "encryption").oneOf(IpsecAlgorithms.encryptionNames().toArray(String[]::new)));
            integ = m.containsKey("integrity")
                    ? IntegrityAlgorithm.of(m.get("integrity").oneOf(integrityNames.toArray(String[]::new)))
                    : IntegrityAlgorithm.NONE;
        }
        // The table that the transform decides from (IpsecAlgorithms), with the rules for static keys.
        IpsecAlgorithms.Problem problem = IpsecAlgorithms.checkStaticKeys(protocol, enc, integ);
        if (problem != null) {
            if (problem.part() == IpsecAlgorithms.Part.ENCRYPTION && m.containsKey("encryption")) {
                throw m.get("encryption").error(problem.message());
            }
            if (m.containsKey("integrity")) {
                throw m.get("integrity").error(problem.message());
            }
            throw new ConfigException(n.file(), n.line(), n.path() + ".integrity", problem.message());
        }
        Secret encIn = null;
        Secret encOut = null;
        if (!enc.acceptsKeyMaterial(0)) {
            String needs = IpsecAlgorithms.keyLengths(enc);
            encIn = key(required(n, m, "encryption-key-in"), enc.ikeName(), enc::acceptsKeyMaterial, needs);
            encOut = key(required(n, m, "encryption-key-out"), enc.ikeName(), enc::acceptsKeyMaterial, needs);
        }
        Secret intIn = null;
        Secret intOut = null;
        if (integ != IntegrityAlgorithm.NONE) {
            java.util.function.IntPredicate fits = len -> len == integ.keyLength();
            intIn = key(required(n, m, "integrity-key-in"), integ.ikeName(), fits, IpsecAlgorithms.keyLengths(integ));
            intOut = key(required(n, m, "integrity-key-out"), integ.ikeName(), fits, IpsecAlgorithms.keyLengths(integ));
        }
        return new ManualSaConfig(spiIn, spiOut, enc.ikeName(), integ.ikeName(), encIn, encOut, intIn, intOut);
    }

    private static int spi(ConfigNode n) throws ConfigException {
        long v = n.integer(0, 0xFFFF_FFFFL);
        if (v < 256) {
            throw n.error("SPI " + v + " is reserved (RFC 4303 §2.1: 0-255); use 256 or more");
        }
        return (int) v;
    }

    private static Secret key(ConfigNode n, String algorithm, java.util.function.IntPredicate fits, String needs)
            throws ConfigException {
        Path file = resolve(n);
        Secret s = SecretFiles.readHex(n, file);
        if (!fits.test(s.length())) {
            int got = s.length();
            s.destroy();
            throw n.error("key in " + file + " is " + got + " bytes; " + algorithm + " needs " + needs);
        }
        return s;
    }

    /** A path from the configuration, relative ones against the configuration file's directory. */
    static Path resolve(ConfigNode n) throws ConfigException {
        Path p = Path.of(n.string());
        if (!p.isAbsolute()) {
            Path dir = n.file().toAbsolutePath().getParent();
            p = dir == null ? p : dir.resolve(p);
        }
        return p.normalize();
    }
}
