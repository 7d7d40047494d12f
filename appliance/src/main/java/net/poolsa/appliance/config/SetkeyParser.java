package net.poolsa.appliance.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import net.poolsa.appliance.config.SetkeyLexer.Token;
import net.poolsa.appliance.config.SetkeyStatements.PolicyEntry;
import net.poolsa.appliance.config.SetkeyStatements.SaEntry;
import net.poolsa.esp.crypto.EspAlgorithm;
import net.poolsa.esp.crypto.IntegrityAlgorithm;
import net.poolsa.esp.crypto.IpsecAlgorithms;
import net.poolsa.esp.sa.AddressPool;
import net.poolsa.esp.sa.IpsecProtocol;
import net.poolsa.esp.sa.Lifetime;
import net.poolsa.esp.sa.SaMode;

/**
 * Reads the statements of an sa-file ({@link SetkeyFile}: {@code add}, {@code spdadd}, {@code flush},
 * {@code spdflush}) from the {@link SetkeyLexer}'s words into {@link SetkeyStatements}, checking each statement on
 * its own: syntax, numbers, pools, algorithms and key lengths against poolsa's algorithm table.
 */
final class SetkeyParser {
    private final SetkeyLexer lexer;
    private final SetkeyStatements into;

    SetkeyParser(SetkeyLexer lexer, SetkeyStatements into) {
        this.lexer = lexer;
        this.into = into;
    }

    void statements() throws ConfigException {
        for (Token t = lexer.next(); t != null; t = lexer.next()) {
            lexer.statement(switch (t.text()) {
                case "flush", "spdflush", "add", "spdadd" -> t.text();
                default -> "statement";
            });
            switch (t.text()) {
                case ";" -> {
                    // an empty statement
                }
                case "flush", "spdflush" -> end(t.line());
                case "add" -> add(t.line());
                case "spdadd" -> spdadd(t.line());
                default -> throw lexer.error(t.line(), t.shown() + ": only add, spdadd, flush and spdflush are taken "
                        + "from an sa-file");
            }
        }
    }

    private void end(int statementLine) throws ConfigException {
        Token t = lexer.next();
        if (t == null) {
            throw lexer.error(statementLine, "statement is not ended with ';'");
        }
        if (!t.text().equals(";")) {
            throw lexer.error(t.line(), "unexpected " + t.shown() + " (missing ';'?)");
        }
    }

    private AddressPool pool(Token t, String part, String what) throws ConfigException {
        String v = t.text();
        int bracket = v.indexOf('[');
        if (bracket >= 0) {
            if (!v.endsWith("[any]")) {
                throw lexer.error(t.line(), part, what + " '" + v + "': port selectors are not supported (poolsa policies cover all ports)");
            }
            v = v.substring(0, bracket);
        }
        try {
            AddressPool p = AddressPool.parse(v);
            if (p.isEmpty()) {
                throw lexer.error(t.line(), part, what + " '" + v + "' holds no address");
            }
            return p;
        } catch (IllegalArgumentException e) {
            throw lexer.error(t.line(), part, what + " " + e.getMessage());
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
            throw lexer.error(t.line(), part, what + " " + t.shown() + " is not a number");
        }
        if (v < min || v > max) {
            throw lexer.error(t.line(), part, what + " " + v + " is not within " + min + "-" + max);
        }
        return v;
    }

    private void add(int at) throws ConfigException {
        AddressPool src = pool(lexer.expectWord("source", "a source", at), "source", "source");
        AddressPool dst = pool(lexer.expectWord("destination", "a destination", at), "destination", "destination");
        Token p = lexer.expectWord("protocol", "esp or ah", at);
        IpsecProtocol protocol = switch (p.text()) {
            case "esp" -> IpsecProtocol.ESP;
            case "ah" -> IpsecProtocol.AH;
            case "esp-udp" -> throw lexer.error(p.line(), "protocol", "esp-udp: UDP encapsulation is configured in the YAML file, not here");
            default -> throw lexer.error(p.line(), "protocol", p.shown() + ": protocol must be esp or ah");
        };
        Token spiToken = lexer.expectWord("spi", "an SPI", at);
        int spi = (int) number(spiToken, "spi", "SPI", 0, 0xFFFF_FFFFL);
        if (Integer.compareUnsigned(spi, 256) < 0) {
            throw lexer.error(spiToken.line(), "spi", "SPI " + spi + " is reserved (RFC 4303 §2.1: 0-255); use 256 or more");
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
            for (Token t = lexer.next(); ; t = lexer.next()) {
                if (t == null) {
                    throw lexer.error(at, "statement is not ended with ';'");
                }
                if (t.text().equals(";")) {
                    break;
                }
                switch (t.text()) {
                    case "-m" -> {
                        Token m = lexer.expectWord("-m", "a mode", at);
                        mode = switch (m.text()) {
                            case "tunnel" -> SaMode.TUNNEL;
                            case "transport" -> SaMode.TRANSPORT;
                            case "any" -> null;
                            default -> throw lexer.error(m.line(), "-m", m.shown() + ": mode must be tunnel, transport or any");
                        };
                    }
                    case "-u" -> reqid = (int) number(lexer.expectWord("-u", "a reqid", at), "-u", "reqid", 1, 0xFFFF);
                    case "-r" -> replay = (int) number(lexer.expectWord("-r", "a window size", at), "-r", "replay window", 0, 1 << 20);
                    case "-ls" -> life[0] = number(lexer.expectWord("-ls", "seconds", at), "-ls", "soft lifetime", 0, Long.MAX_VALUE);
                    case "-lh" -> life[1] = number(lexer.expectWord("-lh", "seconds", at), "-lh", "hard lifetime", 0, Long.MAX_VALUE);
                    case "-bs" -> life[2] = number(lexer.expectWord("-bs", "bytes", at), "-bs", "soft byte lifetime", 0, Long.MAX_VALUE);
                    case "-bh" -> life[3] = number(lexer.expectWord("-bh", "bytes", at), "-bh", "hard byte lifetime", 0, Long.MAX_VALUE);
                    case "-E" -> {
                        Token a = lexer.expectWord("-E", "an encryption algorithm", at);
                        encLine = a.line();
                        if (protocol == IpsecProtocol.AH) {
                            throw lexer.error(a.line(), "-E", "AH (RFC 4302) does not encrypt: no -E");
                        }
                        if (enc != null) {
                            throw lexer.error(a.line(), "-E", "-E given twice");
                        }
                        enc = encryption(a);
                        if (!enc.acceptsKeyMaterial(0)) {
                            encKey = lexer.secret("-E", a.text());
                            if (!enc.acceptsKeyMaterial(encKey.length())) {
                                throw lexer.error(a.line(), "-E", "key for " + a.text() + " is " + encKey.length() + " bytes; it needs "
                                        + IpsecAlgorithms.keyLengths(enc));
                            }
                        }
                    }
                    case "-A" -> {
                        Token a = lexer.expectWord("-A", "an authentication algorithm", at);
                        integLine = a.line();
                        if (integ != null) {
                            throw lexer.error(a.line(), "-A", "-A given twice");
                        }
                        integ = IntegrityAlgorithm.ofSetkey(a.text());
                        if (integ == null) {
                            throw lexer.error(a.line(), "-A", "authentication algorithm " + a.shown() + " is not supported (known: "
                                    + setkeyNames(false) + ")");
                        }
                        intKey = lexer.secret("-A", a.text());
                        if (intKey.length() != integ.keyLength()) {
                            throw lexer.error(a.line(), "-A", "key for " + a.text() + " is " + intKey.length() + " bytes; it needs "
                                    + IpsecAlgorithms.keyLengths(integ));
                        }
                    }
                    case "-C", "-f", "-e", "-c" -> throw lexer.error(t.line(), t.text(), "option " + t.text() + " is not supported");
                    default -> throw lexer.error(t.line(), "unexpected " + t.shown() + " in add (missing ';'?)");
                }
            }
            if (protocol == IpsecProtocol.ESP && enc == null) {
                throw lexer.error(at, "-E", "an ESP SA needs -E ALGORITHM KEY");
            }
            // The table the transform decides from, with the rules for static keys (IpsecAlgorithms).
            IpsecAlgorithms.Problem problem = IpsecAlgorithms.checkStaticKeys(protocol,
                    protocol == IpsecProtocol.AH ? EspAlgorithm.NONE : enc, integ == null ? IntegrityAlgorithm.NONE : integ);
            if (problem != null) {
                throw problem.part() == IpsecAlgorithms.Part.ENCRYPTION ? lexer.error(encLine, "-E", problem.message())
                        : lexer.error(integLine, "-A", problem.message());
            }
            Lifetime lifetime;
            try {
                lifetime = new Lifetime(life[0], life[1], life[2], life[3], 0, 0);
            } catch (IllegalArgumentException e) {
                boolean seconds = life[1] != 0 && life[0] > life[1];
                throw lexer.error(at, seconds ? "-ls" : "-bs", e.getMessage() + " (-ls/-bs must not exceed -lh/-bh)");
            }
            for (SaEntry s : into.sas) {
                if (s.spi() == spi && s.protocol() == protocol && s.dst().equals(dst)) {
                    throw lexer.error(at, "spi", "SA " + protocol.name().toLowerCase(Locale.ROOT) + " 0x" + Integer.toHexString(spi)
                            + " to " + dst + " is already added at line " + s.line());
                }
            }
            String encName = protocol == IpsecProtocol.AH ? EspAlgorithm.NONE.ikeName() : enc.ikeName();
            String integName = integ == null ? IntegrityAlgorithm.NONE.ikeName() : integ.ikeName();
            into.sas.add(new SaEntry(at, src, dst, protocol, spi, mode, reqid, replay, lifetime, encName, encKey, integName, intKey));
        } catch (ConfigException e) {
            SetkeyStatements.destroy(encKey);
            SetkeyStatements.destroy(intKey);
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
            throw lexer.error(a.line(), "-E", "encryption algorithm " + a.shown() + " is not supported (known: " + setkeyNames(true) + ")");
        }
        IpsecAlgorithms.Problem p = IpsecAlgorithms.checkAlgorithms(IpsecProtocol.ESP, enc, IntegrityAlgorithm.NONE);
        if (p != null && p.part() == IpsecAlgorithms.Part.ENCRYPTION) {
            throw lexer.error(a.line(), "-E", p.message());
        }
        String staticKeys = IpsecAlgorithms.staticKeyProblem(enc);
        if (staticKeys != null) {
            throw lexer.error(a.line(), "-E", staticKeys);
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
        AddressPool src = pool(lexer.expectWord("source", "a source range", at), "source", "source range");
        AddressPool dst = pool(lexer.expectWord("destination", "a destination range", at), "destination", "destination range");
        Token upper = lexer.expectWord("upperspec", "an upper-layer protocol", at);
        if (!upper.text().equals("any")) {
            throw lexer.error(upper.line(), "upperspec", "upper-layer protocol " + upper.shown() + ": only 'any' is supported "
                    + "(poolsa connections protect all protocols between their pools)");
        }
        Token flag = lexer.expectWord("-P", "-P", at);
        if (!flag.text().equals("-P")) {
            throw lexer.error(flag.line(), "-P", "expected -P DIRECTION, got " + flag.shown() + "");
        }
        Token dir = lexer.expectWord("-P", "a direction", at);
        if (!List.of("in", "out", "fwd").contains(dir.text())) {
            throw lexer.error(dir.line(), "-P", "direction " + dir.shown() + " must be in, out or fwd");
        }
        Token action = lexer.expectWord("policy", "ipsec", at);
        switch (action.text()) {
            case "ipsec" -> {
            }
            case "none", "discard" -> throw lexer.error(action.line(), "policy", action.shown() + " policies are not taken from an "
                    + "sa-file: traffic no connection protects is discarded already");
            case "prio", "priority" -> throw lexer.error(action.line(), "policy", "policy priorities are not supported");
            default -> throw lexer.error(action.line(), "policy", "expected ipsec, none or discard, got " + action.shown() + "");
        }
        List<Request> requests = new ArrayList<>();
        requests.add(request(lexer.expectWord("request", "a request PROTOCOL/MODE/SRC-DST/LEVEL", at)));
        for (Token t = lexer.next(); ; t = lexer.next()) {
            if (t == null) {
                throw lexer.error(at, "statement is not ended with ';'");
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
                throw lexer.error(ah.line(), "request", "a bundle is esp/MODE/... followed by ah/transport//LEVEL (AH outside ESP)");
            }
        } else if (requests.size() > 2) {
            throw lexer.error(requests.get(2).line(), "request", "at most two requests (an AH+ESP bundle) per policy");
        }
        into.policies.add(new PolicyEntry(at, src, dst, dir.text(), first.protocol(), first.mode(), first.tunnelSrc(),
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
            throw lexer.error(request.line(), "request", "'" + r + "' is not PROTOCOL/MODE/SRC-DST/LEVEL");
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
            default -> throw lexer.error(request.line(), "request", "request protocol '" + parts[0] + "' must be esp or ah");
        };
        SaMode mode = switch (parts[1]) {
            case "tunnel" -> SaMode.TUNNEL;
            case "transport" -> SaMode.TRANSPORT;
            default -> throw lexer.error(request.line(), "request", "request mode '" + parts[1] + "' must be tunnel or transport");
        };
        AddressPool tsrc = null;
        AddressPool tdst = null;
        if (mode == SaMode.TUNNEL) {
            AddressPool[] endpoints = endpoints(request, parts[2]);
            tsrc = endpoints[0];
            tdst = endpoints[1];
        } else if (!parts[2].isEmpty()) {
            throw lexer.error(request.line(), "request", "a transport request names no endpoints: " + parts[0] + "/transport//require");
        }
        int reqid = 0;
        String level = parts[3];
        if (level.startsWith("unique:")) {
            reqid = (int) number(new Token(level.substring(7), request.line()), "request", "reqid", 1, 0xFFFF);
        } else if (level.equals("use")) {
            throw lexer.error(request.line(), "request", "level 'use' would send traffic in the clear without an SA: use require or unique");
        } else if (!List.of("default", "require", "unique", "").contains(level)) {
            throw lexer.error(request.line(), "request", "level '" + level + "' must be default, require or unique[:N]");
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
                    throw lexer.error(request.line(), "request", "tunnel endpoints '" + v + "' can be split in more than one way: "
                            + "write ranges as prefixes or lists");
                }
                found = new AddressPool[] {a, b};
            } catch (IllegalArgumentException e) {
                // not this split
            }
        }
        if (found == null) {
            throw lexer.error(request.line(), "request", "tunnel mode needs endpoints SRC-DST, got '" + v + "'");
        }
        return found;
    }
}
