package net.poolsa.appliance.config;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import net.poolsa.appliance.config.ConnectionConfig.BundleAhConfig;
import net.poolsa.appliance.config.ConnectionConfig.DpdConfig;
import net.poolsa.appliance.config.ConnectionConfig.ManualSaConfig;
import net.poolsa.appliance.config.SetkeyFile.Entry;
import net.poolsa.appliance.config.SetkeyStatements.PolicyEntry;
import net.poolsa.appliance.config.SetkeyStatements.SaEntry;
import net.poolsa.esp.sa.AddressPool;
import net.poolsa.esp.sa.IpsecProtocol;
import net.poolsa.esp.sa.SaMode;

/**
 * Maps the statements of an sa-file to connections ({@link SetkeyFile}, "Mapping" and "Bundles"): one per
 * {@code -P out ipsec} policy, with the {@code add} SAs it finds by protocol, pools and reqid; every SA and every
 * {@code -P in}/{@code fwd} policy must be used by one.
 */
final class SetkeyConnections {
    private final Path file;
    private final SetkeyStatements statements;

    SetkeyConnections(Path file, SetkeyStatements statements) {
        this.file = file;
        this.statements = statements;
    }

    List<Entry> connections() throws ConfigException {
        List<Entry> out = new ArrayList<>();
        List<SaEntry> used = new ArrayList<>();
        List<PolicyEntry> mirrored = new ArrayList<>();
        for (PolicyEntry p : statements.policies) {
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
            String name = SetkeyFile.NAME_PREFIX + (reqid != 0 ? "reqid-" + reqid : String.format("spi-%08x", o.spi()));
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
            for (PolicyEntry m : statements.policies) {
                if (!m.direction().equals("out") && m.src().equals(p.dst()) && m.dst().equals(p.src())
                        && m.protocol() == p.protocol() && m.mode() == p.mode()) {
                    mirrored.add(m);
                }
            }
        }
        for (PolicyEntry m : statements.policies) {
            if (!m.direction().equals("out") && !mirrored.contains(m)) {
                throw at(m.line(), "spdadd.-P", "this -P " + m.direction() + " policy mirrors no -P out policy (poolsa installs the "
                        + "inbound policy of each out policy itself)");
            }
        }
        for (SaEntry s : statements.sas) {
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
        for (SaEntry s : statements.sas) {
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
