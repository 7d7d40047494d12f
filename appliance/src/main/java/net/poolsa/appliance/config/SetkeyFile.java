package net.poolsa.appliance.config;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

import net.poolsa.appliance.config.ConnectionConfig.BundleAhConfig;
import net.poolsa.appliance.config.ConnectionConfig.DpdConfig;
import net.poolsa.appliance.config.ConnectionConfig.ManualSaConfig;
import net.poolsa.esp.crypto.EspAlgorithm;
import net.poolsa.esp.crypto.IntegrityAlgorithm;
import net.poolsa.esp.crypto.IpsecAlgorithms;
import net.poolsa.esp.sa.AddressPool;
import net.poolsa.esp.sa.IpsecProtocol;
import net.poolsa.esp.sa.Lifetime;
import net.poolsa.esp.sa.SaMode;

/**
 * Static SAs and policies in the syntax of ipsec-tools' {@code setkey(8)} (the PF_KEY tool of RFC 2367), so an
 * existing {@code setkey -f} file can be reused. Statements end with {@code ;}, may span lines, and {@code #}
 * starts a comment:
 *
 * <pre>
 * flush; spdflush;                                      # accepted: the file is the whole manual state anyway
 * add SRC DST esp|ah SPI [-m tunnel|transport|any] [-u REQID] [-r WINDOW] [-lh|-ls SECONDS] [-bh|-bs BYTES]
 *     [-E ALGORITHM KEY] [-A ALGORITHM KEY] ;
 * spdadd SRC DST any -P out|in|fwd ipsec PROTO/MODE/TSRC-TDST/LEVEL ;
 * </pre>
 *
 * <p><b>Pools.</b> poolsa's extension: SRC, DST and tunnel endpoints may be pools, a comma-separated list of
 * addresses, prefixes and ranges ({@code 192.0.2.0/28,198.51.100.7} or {@code 192.0.2.10-192.0.2.20}).
 * A KEY is {@code 0x} and hex digits, or a double-quoted string whose bytes are the key, as in setkey.
 *
 * <p><b>Mapping.</b> Each {@code -P out ipsec} policy becomes one manually keyed connection, installed like a
 * YAML {@code manual:} connection: its outbound SA is the {@code add} from the local outer pool (the tunnel
 * source, or in transport mode the policy's source) to the remote one, its inbound SA the {@code add} the other
 * way, matched by protocol, pools and reqid ({@code unique:N} and {@code -u N}). {@code -P in}/{@code fwd}
 * policies must mirror an out policy (poolsa derives the inbound policy itself). Without {@code -r} the
 * replay window is 0 (no anti-replay), as in setkey.
 *
 * <p><b>Bundles.</b> {@code -P out ipsec esp/tunnel/A-B/require ah/transport//require} (setkey applies the first
 * request first, so AH ends up outside ESP) makes an AH+ESP bundle (RFC 4301 §4.5): the connection also gets the
 * {@code add ... ah} SAs between the same outer pools, installed under its reqid.
 *
 * <p>Refused with {@code FILE:LINE: FIELD: problem}, FIELD naming the statement and its part ({@code add.-E},
 * {@code add.spi}, {@code spdadd.request}, ...): other commands, bypass/discard policies, port or protocol
 * selectors, level {@code use} (poolsa never sends a PROTECT packet in the clear), other request combinations,
 * a bundle whose AH SPI equals its ESP SPI (the SAD finds inbound SAs by SPI alone), and algorithms or key lengths
 * that poolsa's algorithm table ({@link IpsecAlgorithms}) refuses for static keys: counter-mode AEAD (aes-gcm-16,
 * chacha20-poly1305) is refused because a manually keyed SA restarts its sequence number and so would repeat
 * nonces. Algorithm names are the table's canonical names or setkey's: {@code -E rijndael-cbc} (or
 * {@code aes-cbc}), {@code 3des-cbc}, {@code null}; {@code -A hmac-sha1}, {@code hmac-sha256},
 * {@code hmac-sha384}, {@code hmac-sha512} (RFC 4868 truncation).
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2367">RFC 2367</a>
 * @see <a href="https://www.rfc-editor.org/rfc/rfc4301#section-4.5">RFC 4301 §4.5 (manual keying)</a>
 */
public final class SetkeyFile {
    /** Connection names are prefixed so they cannot be mistaken for the YAML ones. */
    public static final String NAME_PREFIX = "setkey-";

    private final Path file;
    private final byte[] text;
    private int pos;
    private int line = 1;
    /** The statement being read ("add", "spdadd", ...): the first part of every error's field name. */
    private String statement = "statement";
    private final List<SaEntry> sas = new ArrayList<>();
    private final List<PolicyEntry> policies = new ArrayList<>();

    /**
     * One connection built from the file, with the line of the policy it came from and of the SAs it uses, so that
     * a later check of the connection ({@link ConnectionChecks}) can name the place to fix.
     */
    public record Entry(ConnectionConfig connection, int line, Path file, boolean tunnel, boolean reqidFromPolicy,
                        int outboundLine, int inboundLine, int ahInboundLine) {
        ConfigException error(ConnectionChecks.Field f, String problem) {
            return switch (f) {
                case LOCAL_OUTER -> new ConfigException(file, line, tunnel ? "spdadd.request" : "spdadd.source", problem);
                case REMOTE_OUTER -> new ConfigException(file, line, tunnel ? "spdadd.request" : "spdadd.destination", problem);
                case SPI_IN -> new ConfigException(file, inboundLine, "add.spi", problem);
                case BUNDLE_SPI_IN -> new ConfigException(file, ahInboundLine, "add.spi", problem);
                case REQID -> reqidFromPolicy ? new ConfigException(file, line, "spdadd.request", problem)
                        : new ConfigException(file, outboundLine, "add.-u", problem);
                case LIFE_BYTES -> new ConfigException(file, outboundLine, "add.-bh", problem);
            };
        }
    }

    private record SaEntry(int line, AddressPool src, AddressPool dst, IpsecProtocol protocol, int spi, SaMode mode,
                           int reqid, int replay, Lifetime lifetime, String encryption, Secret encryptionKey,
                           String integrity, Secret integrityKey) {
    }

    private record PolicyEntry(int line, AddressPool src, AddressPool dst, String direction, IpsecProtocol protocol,
                               SaMode mode, AddressPool tunnelSrc, AddressPool tunnelDst, int reqid, boolean bundleAh,
                               int ahReqid) {
    }

    private record Token(String text, int line) {
        /**
         * The token as an error message may show it: quoted, unless it looks like key material (a long 0x
         * number or a quoted string), which a misplaced key in a mistyped line would otherwise put in a log.
         */
        String shown() {
            boolean keyLike = text.startsWith("\"") || ((text.startsWith("0x") || text.startsWith("0X")) && text.length() > 10);
            return keyLike ? "a key-like value (not shown)" : "'" + text + "'";
        }
    }

    private SetkeyFile(Path file, byte[] text) {
        this.file = file;
        this.text = text;
    }

    /**
     * Parses {@code text} (the file's bytes; the caller zeroes them afterwards) into connections.
     *
     * @throws ConfigException naming {@code file} and the line of the offending statement or token
     */
    public static List<Entry> parse(Path file, byte[] text) throws ConfigException {
        SetkeyFile f = new SetkeyFile(file, text);
        try {
            f.statements();
            return f.connections();
        } catch (ConfigException e) {
            for (SaEntry s : f.sas) {
                destroy(s.encryptionKey());
                destroy(s.integrityKey());
            }
            throw e;
        }
    }

    private static void destroy(Secret s) {
        if (s != null) {
            s.destroy();
        }
    }

    /** An error in the statement being read, at no particular part of it. */
    private ConfigException error(int at, String problem) {
        return new ConfigException(file, at, statement, problem);
    }

    /** An error in {@code part} of the statement being read: field "add.-E", "spdadd.request", ... */
    private ConfigException error(int at, String part, String problem) {
        return new ConfigException(file, at, statement + "." + part, problem);
    }

    // ---- lexer: whitespace-separated words, ';' on its own, "quoted strings", '#' comments ----

    private void skipBlank() {
        while (pos < text.length) {
            int c = text[pos] & 0xff;
            if (c == '\n') {
                line++;
                pos++;
            } else if (c == ' ' || c == '\t' || c == '\r') {
                pos++;
            } else if (c == '#') {
                while (pos < text.length && text[pos] != '\n') {
                    pos++;
                }
            } else {
                return;
            }
        }
    }

    /** The next word or ";", or null at the end of the file. Never used for keys (see {@link #secret}). */
    private Token next() throws ConfigException {
        skipBlank();
        if (pos >= text.length) {
            return null;
        }
        int start = pos;
        if (text[pos] == ';') {
            pos++;
            return new Token(";", line);
        }
        if (text[pos] == '"') {
            throw error(line, "a quoted string is only allowed as a key");
        }
        while (pos < text.length) {
            int c = text[pos] & 0xff;
            if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == ';' || c == '#') {
                break;
            }
            if (c < 0x21 || c > 0x7e) {
                throw error(line, "unexpected byte 0x" + Integer.toHexString(c) + " (setkey files are ASCII)");
            }
            pos++;
        }
        return new Token(new String(text, start, pos - start, java.nio.charset.StandardCharsets.US_ASCII), line);
    }

    private Token expectWord(String part, String what, int statementLine) throws ConfigException {
        Token t = next();
        if (t == null || t.text().equals(";")) {
            throw error(t == null ? statementLine : t.line(), part, "expected " + what
                    + (t == null ? " before the end of the file" : " before ';'"));
        }
        return t;
    }

    /**
     * A key: {@code 0x} and hex digits, or a double-quoted string. Read straight from the file's bytes into a
     * {@link Secret}, so the key never becomes a String that could not be zeroed.
     */
    private Secret secret(String part, String algorithm) throws ConfigException {
        skipBlank();
        int at = line;
        if (pos >= text.length || text[pos] == ';') {
            throw error(at, part, "expected a key after " + algorithm);
        }
        byte[] key;
        if (text[pos] == '"') {
            int start = ++pos;
            while (pos < text.length && text[pos] != '"' && text[pos] != '\n') {
                pos++;
            }
            if (pos >= text.length || text[pos] != '"') {
                throw error(at, part, "unterminated quoted key");
            }
            key = Arrays.copyOfRange(text, start, pos);
            pos++;
        } else {
            if (pos + 1 >= text.length || text[pos] != '0' || (text[pos + 1] != 'x' && text[pos + 1] != 'X')) {
                throw error(at, part, "a key is 0x followed by hex digits, or a \"quoted string\"");
            }
            pos += 2;
            int start = pos;
            while (pos < text.length && Character.digit(text[pos], 16) >= 0) {
                pos++;
            }
            int digits = pos - start;
            if (pos < text.length && !isDelimiter(text[pos])) {
                throw error(at, part, "the key after " + algorithm + " holds a character that is not a hex digit");
            }
            if (digits == 0 || digits % 2 != 0) {
                throw error(at, part, "the key after " + algorithm + " needs an even, non-zero number of hex digits");
            }
            key = new byte[digits / 2];
            for (int i = 0; i < key.length; i++) {
                key[i] = (byte) (Character.digit(text[start + 2 * i], 16) << 4 | Character.digit(text[start + 2 * i + 1], 16));
            }
        }
        try {
            return new Secret(key);
        } finally {
            Arrays.fill(key, (byte) 0);
        }
    }

    private static boolean isDelimiter(byte b) {
        return b == ' ' || b == '\t' || b == '\r' || b == '\n' || b == ';' || b == '#';
    }

    // ---- statements ----

    private void statements() throws ConfigException {
        for (Token t = next(); t != null; t = next()) {
            statement = switch (t.text()) {
                case "flush", "spdflush", "add", "spdadd" -> t.text();
                default -> "statement";
            };
            switch (t.text()) {
                case ";" -> {
                    // an empty statement
                }
                case "flush", "spdflush" -> end(t.line());
                case "add" -> add(t.line());
                case "spdadd" -> spdadd(t.line());
                default -> throw error(t.line(), t.shown() + ": only add, spdadd, flush and spdflush are taken "
                        + "from an sa-file");
            }
        }
    }

    private void end(int statementLine) throws ConfigException {
        Token t = next();
        if (t == null) {
            throw error(statementLine, "statement is not ended with ';'");
        }
        if (!t.text().equals(";")) {
            throw error(t.line(), "unexpected " + t.shown() + " (missing ';'?)");
        }
    }

    private AddressPool pool(Token t, String part, String what) throws ConfigException {
        String v = t.text();
        int bracket = v.indexOf('[');
        if (bracket >= 0) {
            if (!v.endsWith("[any]")) {
                throw error(t.line(), part, what + " '" + v + "': port selectors are not supported (poolsa policies cover all ports)");
            }
            v = v.substring(0, bracket);
        }
        try {
            AddressPool p = AddressPool.parse(v);
            if (p.isEmpty()) {
                throw error(t.line(), part, what + " '" + v + "' holds no address");
            }
            return p;
        } catch (IllegalArgumentException e) {
            throw error(t.line(), part, what + " " + e.getMessage());
        }
    }

    private static long number(String v) {
        return v.startsWith("0x") || v.startsWith("0X") ? Long.parseLong(v.substring(2), 16) : Long.parseLong(v);
    }

    private long number(Token t, String part, String what, long min, long max) throws ConfigException {
        long v;
        try {
            v = number(t.text());
        } catch (NumberFormatException e) {
            throw error(t.line(), part, what + " " + t.shown() + " is not a number");
        }
        if (v < min || v > max) {
            throw error(t.line(), part, what + " " + v + " is not within " + min + "-" + max);
        }
        return v;
    }

    private void add(int at) throws ConfigException {
        AddressPool src = pool(expectWord("source", "a source", at), "source", "source");
        AddressPool dst = pool(expectWord("destination", "a destination", at), "destination", "destination");
        Token p = expectWord("protocol", "esp or ah", at);
        IpsecProtocol protocol = switch (p.text()) {
            case "esp" -> IpsecProtocol.ESP;
            case "ah" -> IpsecProtocol.AH;
            case "esp-udp" -> throw error(p.line(), "protocol", "esp-udp: UDP encapsulation is configured in the YAML file, not here");
            default -> throw error(p.line(), "protocol", p.shown() + ": protocol must be esp or ah");
        };
        Token spiToken = expectWord("spi", "an SPI", at);
        int spi = (int) number(spiToken, "spi", "SPI", 0, 0xFFFF_FFFFL);
        if (Integer.compareUnsigned(spi, 256) < 0) {
            throw error(spiToken.line(), "spi", "SPI " + spi + " is reserved (RFC 4303 §2.1: 0-255); use 256 or more");
        }
        SaMode mode = null;
        int reqid = 0;
        int replay = 0;
        long[] life = new long[4]; // soft time, hard time, soft bytes, hard bytes
        EspAlgorithm enc = null;
        int encLine = at;
        Secret encKey = null;
        IntegrityAlgorithm integ = null;
        int integLine = at;
        Secret intKey = null;
        try {
            for (Token t = next(); ; t = next()) {
                if (t == null) {
                    throw error(at, "statement is not ended with ';'");
                }
                if (t.text().equals(";")) {
                    break;
                }
                switch (t.text()) {
                    case "-m" -> {
                        Token m = expectWord("-m", "a mode", at);
                        mode = switch (m.text()) {
                            case "tunnel" -> SaMode.TUNNEL;
                            case "transport" -> SaMode.TRANSPORT;
                            case "any" -> null;
                            default -> throw error(m.line(), "-m", m.shown() + ": mode must be tunnel, transport or any");
                        };
                    }
                    case "-u" -> reqid = (int) number(expectWord("-u", "a reqid", at), "-u", "reqid", 1, 0xFFFF);
                    case "-r" -> replay = (int) number(expectWord("-r", "a window size", at), "-r", "replay window", 0, 1 << 20);
                    case "-ls" -> life[0] = number(expectWord("-ls", "seconds", at), "-ls", "soft lifetime", 0, Long.MAX_VALUE);
                    case "-lh" -> life[1] = number(expectWord("-lh", "seconds", at), "-lh", "hard lifetime", 0, Long.MAX_VALUE);
                    case "-bs" -> life[2] = number(expectWord("-bs", "bytes", at), "-bs", "soft byte lifetime", 0, Long.MAX_VALUE);
                    case "-bh" -> life[3] = number(expectWord("-bh", "bytes", at), "-bh", "hard byte lifetime", 0, Long.MAX_VALUE);
                    case "-E" -> {
                        Token a = expectWord("-E", "an encryption algorithm", at);
                        encLine = a.line();
                        if (protocol == IpsecProtocol.AH) {
                            throw error(a.line(), "-E", "AH (RFC 4302) does not encrypt: no -E");
                        }
                        if (enc != null) {
                            throw error(a.line(), "-E", "-E given twice");
                        }
                        enc = encryption(a);
                        if (!enc.acceptsKeyMaterial(0)) {
                            encKey = secret("-E", a.text());
                            if (!enc.acceptsKeyMaterial(encKey.length())) {
                                throw error(a.line(), "-E", "key for " + a.text() + " is " + encKey.length() + " bytes; it needs "
                                        + IpsecAlgorithms.keyLengths(enc));
                            }
                        }
                    }
                    case "-A" -> {
                        Token a = expectWord("-A", "an authentication algorithm", at);
                        integLine = a.line();
                        if (integ != null) {
                            throw error(a.line(), "-A", "-A given twice");
                        }
                        integ = IntegrityAlgorithm.ofSetkey(a.text());
                        if (integ == null) {
                            throw error(a.line(), "-A", "authentication algorithm " + a.shown() + " is not supported (known: "
                                    + setkeyNames(false) + ")");
                        }
                        intKey = secret("-A", a.text());
                        if (intKey.length() != integ.keyLength()) {
                            throw error(a.line(), "-A", "key for " + a.text() + " is " + intKey.length() + " bytes; it needs "
                                    + IpsecAlgorithms.keyLengths(integ));
                        }
                    }
                    case "-C", "-f", "-e", "-c" -> throw error(t.line(), t.text(), "option " + t.text() + " is not supported");
                    default -> throw error(t.line(), "unexpected " + t.shown() + " in add (missing ';'?)");
                }
            }
            if (protocol == IpsecProtocol.ESP && enc == null) {
                throw error(at, "-E", "an ESP SA needs -E ALGORITHM KEY");
            }
            // The table the transform decides from, with the rules for static keys (IpsecAlgorithms).
            IpsecAlgorithms.Problem problem = IpsecAlgorithms.checkStaticKeys(protocol,
                    protocol == IpsecProtocol.AH ? EspAlgorithm.NONE : enc, integ == null ? IntegrityAlgorithm.NONE : integ);
            if (problem != null) {
                throw problem.part() == IpsecAlgorithms.Part.ENCRYPTION ? error(encLine, "-E", problem.message())
                        : error(integLine, "-A", problem.message());
            }
            Lifetime lifetime;
            try {
                lifetime = new Lifetime(life[0], life[1], life[2], life[3], 0, 0);
            } catch (IllegalArgumentException e) {
                boolean seconds = life[1] != 0 && life[0] > life[1];
                throw error(at, seconds ? "-ls" : "-bs", e.getMessage() + " (-ls/-bs must not exceed -lh/-bh)");
            }
            for (SaEntry s : sas) {
                if (s.spi() == spi && s.protocol() == protocol && s.dst().equals(dst)) {
                    throw error(at, "spi", "SA " + protocol.name().toLowerCase(Locale.ROOT) + " 0x" + Integer.toHexString(spi)
                            + " to " + dst + " is already added at line " + s.line());
                }
            }
            String encName = protocol == IpsecProtocol.AH ? EspAlgorithm.NONE.ikeName() : enc.ikeName();
            String integName = integ == null ? IntegrityAlgorithm.NONE.ikeName() : integ.ikeName();
            sas.add(new SaEntry(at, src, dst, protocol, spi, mode, reqid, replay, lifetime, encName, encKey, integName, intKey));
        } catch (ConfigException e) {
            destroy(encKey);
            destroy(intKey);
            throw e;
        }
    }

    /**
     * The {@code -E} algorithm, refused at once when the table has it as unknown, disabled, or unusable with static
     * keys (before its key is read, so the operator hears about the algorithm first).
     */
    private EspAlgorithm encryption(Token a) throws ConfigException {
        EspAlgorithm enc = EspAlgorithm.ofSetkey(a.text());
        if (enc == null) {
            throw error(a.line(), "-E", "encryption algorithm " + a.shown() + " is not supported (known: " + setkeyNames(true) + ")");
        }
        IpsecAlgorithms.Problem p = IpsecAlgorithms.checkAlgorithms(IpsecProtocol.ESP, enc, IntegrityAlgorithm.NONE);
        if (p != null && p.part() == IpsecAlgorithms.Part.ENCRYPTION) {
            throw error(a.line(), "-E", p.message());
        }
        String staticKeys = IpsecAlgorithms.staticKeyProblem(enc);
        if (staticKeys != null) {
            throw error(a.line(), "-E", staticKeys);
        }
        return enc;
    }

    /** The names an sa-file may use for -E (static-key algorithms only) or -A: the table's and setkey's. */
    private static String setkeyNames(boolean encryption) {
        java.util.Set<String> names = new java.util.TreeSet<>();
        if (encryption) {
            for (String n : IpsecAlgorithms.encryptionNames()) {
                EspAlgorithm a = EspAlgorithm.of(n);
                if (a.staticKeysAllowed()) {
                    names.add(n);
                    names.addAll(a.setkeyAliases());
                }
            }
        } else {
            for (IntegrityAlgorithm a : IntegrityAlgorithm.values()) {
                if (a != IntegrityAlgorithm.NONE) {
                    names.add(a.setkeyName());
                    names.add(a.ikeName());
                }
            }
        }
        return String.join(", ", names);
    }

    private void spdadd(int at) throws ConfigException {
        AddressPool src = pool(expectWord("source", "a source range", at), "source", "source range");
        AddressPool dst = pool(expectWord("destination", "a destination range", at), "destination", "destination range");
        Token upper = expectWord("upperspec", "an upper-layer protocol", at);
        if (!upper.text().equals("any")) {
            throw error(upper.line(), "upperspec", "upper-layer protocol " + upper.shown() + ": only 'any' is supported "
                    + "(poolsa connections protect all protocols between their pools)");
        }
        Token flag = expectWord("-P", "-P", at);
        if (!flag.text().equals("-P")) {
            throw error(flag.line(), "-P", "expected -P DIRECTION, got " + flag.shown() + "");
        }
        Token dir = expectWord("-P", "a direction", at);
        if (!List.of("in", "out", "fwd").contains(dir.text())) {
            throw error(dir.line(), "-P", "direction " + dir.shown() + " must be in, out or fwd");
        }
        Token action = expectWord("policy", "ipsec", at);
        switch (action.text()) {
            case "ipsec" -> {
            }
            case "none", "discard" -> throw error(action.line(), "policy", action.shown() + " policies are not taken from an "
                    + "sa-file: traffic no connection protects is discarded already");
            case "prio", "priority" -> throw error(action.line(), "policy", "policy priorities are not supported");
            default -> throw error(action.line(), "policy", "expected ipsec, none or discard, got " + action.shown() + "");
        }
        List<Request> requests = new ArrayList<>();
        requests.add(request(expectWord("request", "a request PROTOCOL/MODE/SRC-DST/LEVEL", at)));
        for (Token t = next(); ; t = next()) {
            if (t == null) {
                throw error(at, "statement is not ended with ';'");
            }
            if (t.text().equals(";")) {
                break;
            }
            requests.add(request(t));
        }
        Request first = requests.get(0);
        Request ah = null;
        if (requests.size() == 2) {
            // An AH+ESP bundle, setkey's order: the first request is applied first (innermost), so
            // "esp/... ah/transport//..." puts AH outside (RFC 4301 §4.5, transport adjacency).
            ah = requests.get(1);
            if (first.protocol() != IpsecProtocol.ESP || ah.protocol() != IpsecProtocol.AH || ah.mode() != SaMode.TRANSPORT) {
                throw error(ah.line(), "request", "a bundle is esp/MODE/... followed by ah/transport//LEVEL (AH outside ESP)");
            }
        } else if (requests.size() > 2) {
            throw error(requests.get(2).line(), "request", "at most two requests (an AH+ESP bundle) per policy");
        }
        policies.add(new PolicyEntry(at, src, dst, dir.text(), first.protocol(), first.mode(), first.tunnelSrc(),
                first.tunnelDst(), first.reqid(), ah != null, ah == null ? 0 : ah.reqid()));
    }

    private record Request(int line, IpsecProtocol protocol, SaMode mode, AddressPool tunnelSrc, AddressPool tunnelDst, int reqid) {
    }

    private Request request(Token request) throws ConfigException {
        // PROTOCOL/MODE/SRC-DST/LEVEL, where SRC and DST may be prefixes (with '/') and LEVEL may be left out.
        String r = request.text();
        int s1 = r.indexOf('/');
        int s2 = s1 < 0 ? -1 : r.indexOf('/', s1 + 1);
        if (s2 < 0) {
            throw error(request.line(), "request", "'" + r + "' is not PROTOCOL/MODE/SRC-DST/LEVEL");
        }
        String rest = r.substring(s2 + 1);
        int last = rest.lastIndexOf('/');
        String tail = last < 0 ? rest : rest.substring(last + 1);
        boolean hasLevel = tail.isEmpty() || tail.equals("default") || tail.equals("use") || tail.equals("require")
                || tail.startsWith("unique");
        String ends = hasLevel && last >= 0 ? rest.substring(0, last) : hasLevel ? "" : rest;
        String[] parts = {r.substring(0, s1), r.substring(s1 + 1, s2), ends, hasLevel ? tail : "default"};
        IpsecProtocol protocol = switch (parts[0]) {
            case "esp" -> IpsecProtocol.ESP;
            case "ah" -> IpsecProtocol.AH;
            default -> throw error(request.line(), "request", "request protocol '" + parts[0] + "' must be esp or ah");
        };
        SaMode mode = switch (parts[1]) {
            case "tunnel" -> SaMode.TUNNEL;
            case "transport" -> SaMode.TRANSPORT;
            default -> throw error(request.line(), "request", "request mode '" + parts[1] + "' must be tunnel or transport");
        };
        AddressPool tsrc = null;
        AddressPool tdst = null;
        if (mode == SaMode.TUNNEL) {
            AddressPool[] endpoints = endpoints(request, parts[2]);
            tsrc = endpoints[0];
            tdst = endpoints[1];
        } else if (!parts[2].isEmpty()) {
            throw error(request.line(), "request", "a transport request names no endpoints: " + parts[0] + "/transport//require");
        }
        int reqid = 0;
        String level = parts[3];
        if (level.startsWith("unique:")) {
            reqid = (int) number(new Token(level.substring(7), request.line()), "request", "reqid", 1, 0xFFFF);
        } else if (level.equals("use")) {
            throw error(request.line(), "request", "level 'use' would send traffic in the clear without an SA: use require or unique");
        } else if (!List.of("default", "require", "unique", "").contains(level)) {
            throw error(request.line(), "request", "level '" + level + "' must be default, require or unique[:N]");
        }
        return new Request(request.line(), protocol, mode, tsrc, tdst, reqid);
    }

    /** "SRC-DST" where each side may itself be a pool with ranges: the one split at which both sides parse. */
    private AddressPool[] endpoints(Token request, String v) throws ConfigException {
        AddressPool[] found = null;
        for (int i = v.indexOf('-'); i >= 0; i = v.indexOf('-', i + 1)) {
            try {
                AddressPool a = AddressPool.parse(v.substring(0, i));
                AddressPool b = AddressPool.parse(v.substring(i + 1));
                if (a.isEmpty() || b.isEmpty()) {
                    continue;
                }
                if (found != null) {
                    throw error(request.line(), "request", "tunnel endpoints '" + v + "' can be split in more than one way: "
                            + "write ranges as prefixes or lists");
                }
                found = new AddressPool[] {a, b};
            } catch (IllegalArgumentException e) {
                // not this split
            }
        }
        if (found == null) {
            throw error(request.line(), "request", "tunnel mode needs endpoints SRC-DST, got '" + v + "'");
        }
        return found;
    }

    // ---- from statements to connections ----

    private List<Entry> connections() throws ConfigException {
        List<Entry> out = new ArrayList<>();
        List<SaEntry> used = new ArrayList<>();
        List<PolicyEntry> mirrored = new ArrayList<>();
        for (PolicyEntry p : policies) {
            if (!p.direction().equals("out")) {
                continue;
            }
            AddressPool local = p.mode() == SaMode.TUNNEL ? p.tunnelSrc() : p.src();
            AddressPool remote = p.mode() == SaMode.TUNNEL ? p.tunnelDst() : p.dst();
            SaEntry o = find(p, p.protocol(), p.mode(), p.reqid(), local, remote, "outbound");
            SaEntry i = find(p, p.protocol(), p.mode(), p.reqid(), remote, local, "inbound");
            SaEntry ahOut = p.bundleAh() ? find(p, IpsecProtocol.AH, SaMode.TRANSPORT, p.ahReqid(), local, remote, "outbound AH") : null;
            SaEntry ahIn = p.bundleAh() ? find(p, IpsecProtocol.AH, SaMode.TRANSPORT, p.ahReqid(), remote, local, "inbound AH") : null;
            List<SaEntry> mine = p.bundleAh() ? List.of(o, i, ahOut, ahIn) : List.of(o, i);
            for (SaEntry s : mine) {
                if (used.contains(s)) {
                    throw at(p.line(), "spdadd.request", "the SA added at line " + s.line() + " already serves another policy");
                }
            }
            used.addAll(mine);
            if (!o.encryption().equals(i.encryption()) || !o.integrity().equals(i.integrity())) {
                throw at(i.line(), o.encryption().equals(i.encryption()) ? "add.-A" : "add.-E", "the SAs at lines " + o.line()
                        + " and " + i.line() + " of one connection must use the same algorithms");
            }
            if (!o.lifetime().equals(i.lifetime())) {
                throw at(i.line(), "add.-lh", "the SAs at lines " + o.line() + " and " + i.line() + " of one connection must have "
                        + "the same lifetimes");
            }
            int reqid = p.reqid() != 0 ? p.reqid() : Math.max(o.reqid(), i.reqid());
            String name = NAME_PREFIX + (reqid != 0 ? "reqid-" + reqid : String.format("spi-%08x", o.spi()));
            BundleAhConfig bundle = null;
            if (p.bundleAh()) {
                if (!ahOut.integrity().equals(ahIn.integrity())) {
                    throw at(ahIn.line(), "add.-A", "the AH SAs at lines " + ahOut.line() + " and " + ahIn.line()
                            + " of one bundle must use the same algorithm");
                }
                // The SAD finds an inbound SA by its SPI alone (the receiver chooses SPIs, RFC 4301 §4.1), so the AH and
                // ESP SAs of one direction need different SPIs, here and on a peer that reads the same add statements.
                if (ahIn.spi() == i.spi()) {
                    throw at(ahIn.line(), "add.spi", bundleSpiProblem(ahIn.spi(), i.line()));
                }
                if (ahOut.spi() == o.spi()) {
                    throw at(ahOut.line(), "add.spi", bundleSpiProblem(ahOut.spi(), o.line()));
                }
                bundle = new BundleAhConfig(ahIn.spi(), ahOut.spi(), ahOut.integrity(), ahIn.integrityKey(), ahOut.integrityKey());
            }
            ManualSaConfig manual = new ManualSaConfig(i.spi(), o.spi(), o.encryption(), o.integrity(),
                    i.encryptionKey(), o.encryptionKey(), i.integrityKey(), o.integrityKey(), bundle);
            ConnectionConfig c = new ConnectionConfig(name, p.mode(), p.protocol(), local, remote, p.src(), p.dst(), reqid,
                    List.of(), List.of(), o.lifetime(), DpdConfig.OFF, i.replay(), false, null, manual, null);
            for (Entry e : out) {
                if (e.connection().name().equals(name)) {
                    throw at(p.line(), "spdadd.request", "connection " + name + " is already made by the policy at line " + e.line());
                }
            }
            out.add(new Entry(c, p.line(), file, p.mode() == SaMode.TUNNEL, p.reqid() != 0, o.line(), i.line(),
                    ahIn == null ? i.line() : ahIn.line()));
            for (PolicyEntry m : policies) {
                if (!m.direction().equals("out") && m.src().equals(p.dst()) && m.dst().equals(p.src())
                        && m.protocol() == p.protocol() && m.mode() == p.mode()) {
                    mirrored.add(m);
                }
            }
        }
        for (PolicyEntry m : policies) {
            if (!m.direction().equals("out") && !mirrored.contains(m)) {
                throw at(m.line(), "spdadd.-P", "this -P " + m.direction() + " policy mirrors no -P out policy (poolsa installs the "
                        + "inbound policy of each out policy itself)");
            }
        }
        for (SaEntry s : sas) {
            if (!used.contains(s)) {
                throw at(s.line(), "add", "no -P out ipsec policy uses this SA (a connection needs an out policy, an "
                        + "outbound and an inbound SA)");
            }
        }
        return out;
    }

    private static String bundleSpiProblem(int spi, int espLine) {
        return "the AH SA of this bundle has SPI 0x" + Integer.toHexString(spi) + ", like the ESP SA at line " + espLine
                + ": inbound SAs are found by SPI alone (here and on the peer), so give the AH SA its own SPI";
    }

    /** An error at {@code line} in {@code field}, found after the statements were read. */
    private ConfigException at(int line, String field, String problem) {
        return new ConfigException(file, line, field, problem);
    }

    private SaEntry find(PolicyEntry p, IpsecProtocol protocol, SaMode mode, int reqid, AddressPool from, AddressPool to,
                         String which) throws ConfigException {
        SaEntry found = null;
        for (SaEntry s : sas) {
            if (s.protocol() != protocol || !s.src().equals(from) || !s.dst().equals(to)) {
                continue;
            }
            if (reqid != 0 && s.reqid() != reqid) {
                continue;
            }
            if (s.mode() != null && s.mode() != mode) {
                throw at(s.line(), "add.-m", "this SA is " + s.mode().name().toLowerCase(Locale.ROOT) + " mode but the policy at line "
                        + p.line() + " asks for " + mode.name().toLowerCase(Locale.ROOT));
            }
            if (found != null) {
                throw at(s.line(), "add.-u", "two SAs (lines " + found.line() + " and " + s.line() + ") fit the policy at line "
                        + p.line() + ": tell them apart with -u REQID and unique:REQID");
            }
            found = s;
        }
        if (found == null) {
            throw at(p.line(), "spdadd.request", "no " + which + " SA for this policy: expected 'add " + from + " " + to + " "
                    + protocol.name().toLowerCase(Locale.ROOT) + " SPI ...'" + (reqid != 0 ? " with -u " + reqid : ""));
        }
        return found;
    }
}
