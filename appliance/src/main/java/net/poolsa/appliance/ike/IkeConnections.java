package net.poolsa.appliance.ike;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import net.poolsa.appliance.config.ConnectionConfig;
import net.poolsa.appliance.config.DataPathConfig;
import net.poolsa.appliance.config.PoolsaConfig;
import net.poolsa.appliance.keying.ConnectionManager;
import net.poolsa.esp.sa.IpLiterals;
import net.poolsa.ike.Dpd;
import net.poolsa.ike.IkeConnection;
import net.poolsa.ike.auth.CertificateAuthenticator;
import net.poolsa.ike.auth.PeerValidator;

/** From the configuration to what the IKE engine needs: the connections and the addresses its sockets bind. */
public final class IkeConnections {
    private IkeConnections() {
    }

    /**
     * The engine's view of an IKE-keyed connection. The pre-shared key is a fresh copy: the engine owns it and
     * zeroes it when the connection goes, independently of the configuration's copy. With certificates the engine
     * gets the credentials the configuration loaded, validating peers at the system clock's time.
     */
    public static IkeConnection of(ConnectionConfig c, int reqid) {
        byte[] psk;
        CertificateAuthenticator certificates = null;
        if (c.authentication() instanceof ConnectionConfig.Psk p) {
            psk = p.key().copy();
        } else if (c.authentication() instanceof ConnectionConfig.Certificates x) {
            psk = new byte[0];
            certificates = new CertificateAuthenticator(x.credentials(), x.trust(),
                    new PeerValidator(x.trust(), Clock.systemUTC(), x.revocation()), x.localId(), x.remoteId(),
                    x.grantedPools());
        } else {
            throw new IllegalArgumentException("connection " + c.name() + " is not keyed by IKE");
        }
        return new IkeConnection(c.name(), reqid, c.mode(), c.protocol(), c.localOuter(), c.remoteOuter(),
                c.localProtected(), c.remoteProtected(), c.ikeProposals(), c.espProposals(), psk,
                c.lifetime(), c.ikeLifetimeSeconds(), c.startAction(), c.udpEncapsulation() != null, c.replayWindow(),
                c.extendedSequenceNumbers(), c.ahBundleProposals(), certificates, c.rekey(), dpd(c.dpd()));
    }

    /** The engine's DPD settings; {@code trap} is refused at check-config for IKE connections. */
    static Dpd dpd(ConnectionConfig.DpdConfig d) {
        return d.enabled() ? new Dpd(d.delayMillis(), d.timeoutMillis(), d.action() == ConnectionConfig.DpdAction.RESTART
                ? Dpd.Action.RESTART : Dpd.Action.CLEAR) : Dpd.OFF;
    }

    /**
     * The engine's view of every IKE-keyed connection of {@code config}, reqids from {@code manager} (which must have
     * applied {@code config}); each holds its own copy of the pre-shared key, so the configuration's may be wiped.
     */
    public static List<IkeConnection> forEngine(PoolsaConfig config, ConnectionManager manager) {
        List<IkeConnection> out = new ArrayList<>();
        for (ConnectionConfig c : ikeKeyed(config.connections().values())) {
            Integer reqid = manager.reqid(c.name());
            if (reqid == null) {
                out.forEach(IkeConnection::wipe);
                throw new IllegalStateException("connection " + c.name() + " has no reqid: apply it to the manager first");
            }
            out.add(of(c, reqid));
        }
        return out;
    }

    /** The IKE-keyed connections of {@code all}, in order. */
    public static List<ConnectionConfig> ikeKeyed(Collection<ConnectionConfig> all) {
        return all.stream().filter(c -> !c.manuallyKeyed()).toList();
    }

    /**
     * The uplink addresses (in configuration order) that lie in some IKE connection's local outer pool: where IKE
     * listens. An IKE socket on an address no connection uses would only invite unsolicited traffic.
     */
    public static List<InetAddress> localAddresses(DataPathConfig dp, Collection<IkeConnection> ike) {
        Set<InetAddress> out = new LinkedHashSet<>();
        for (DataPathConfig.InterfaceConfig up : dp.uplinks()) {
            for (String a : up.addresses()) {
                int slash = a.indexOf('/');
                byte[] address = IpLiterals.parse(slash < 0 ? a : a.substring(0, slash));
                for (IkeConnection c : ike) {
                    if (c.localOuter().contains(address)) {
                        out.add(inet(address));
                        break;
                    }
                }
            }
        }
        return new ArrayList<>(out);
    }

    private static InetAddress inet(byte[] address) {
        try {
            return InetAddress.getByAddress(address);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("not an IPv4 or IPv6 address: " + address.length + " bytes", e);
        }
    }
}
