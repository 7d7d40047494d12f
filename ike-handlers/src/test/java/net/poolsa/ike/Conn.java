package net.poolsa.ike;

import java.nio.charset.StandardCharsets;
import java.util.List;

import net.poolsa.esp.sa.AddressPool;
import net.poolsa.esp.sa.IpsecProtocol;
import net.poolsa.esp.sa.Lifetime;
import net.poolsa.esp.sa.SaMode;
import net.poolsa.ike.auth.CertificateAuthenticator;

/** Builds test {@link IkeConnection}s: a gateway pair with one key, proposals and pools as a test needs them. */
final class Conn {
    private String name = "c";
    private int reqid = 7;
    private SaMode mode = SaMode.TUNNEL;
    private IpsecProtocol protocol = IpsecProtocol.ESP;
    private String localOuter;
    private String remoteOuter;
    private String localProtected;
    private String remoteProtected;
    private List<String> ike = List.of("aes128-sha256-modp2048");
    private List<String> esp = List.of("aes128gcm16-modp2048");
    private String psk = "a pre-shared key for tests only";
    private Lifetime lifetime = Lifetime.ofSeconds(3000, 3600);
    private StartAction start = StartAction.NONE;
    private boolean encap;
    private List<String> bundleAh = List.of();
    private CertificateAuthenticator certificates;
    private long ikeLifetime;
    private Rekey rekey = Rekey.DEFAULT;
    private boolean esn;
    private Dpd dpd = Dpd.OFF;

    static Conn of(String localOuter, String remoteOuter, String localProtected, String remoteProtected) {
        Conn c = new Conn();
        c.localOuter = localOuter;
        c.remoteOuter = remoteOuter;
        c.localProtected = localProtected;
        c.remoteProtected = remoteProtected;
        return c;
    }

    Conn name(String n) {
        name = n;
        return this;
    }

    Conn reqid(int r) {
        reqid = r;
        return this;
    }

    Conn mode(SaMode m) {
        mode = m;
        return this;
    }

    Conn protocol(IpsecProtocol p) {
        protocol = p;
        return this;
    }

    Conn ike(String... p) {
        ike = List.of(p);
        return this;
    }

    Conn esp(String... p) {
        esp = List.of(p);
        return this;
    }

    Conn psk(String k) {
        psk = k;
        return this;
    }

    Conn lifetime(Lifetime l) {
        lifetime = l;
        return this;
    }

    Conn start(StartAction s) {
        start = s;
        return this;
    }

    Conn encap(boolean e) {
        encap = e;
        return this;
    }

    /** AH proposals of an AH+ESP bundle. */
    Conn ah(String... p) {
        bundleAh = List.of(p);
        return this;
    }

    /** Authenticates by these certificate credentials instead of the pre-shared key. */
    Conn certificates(CertificateAuthenticator c) {
        certificates = c;
        return this;
    }

    Conn ikeLifetime(long seconds) {
        ikeLifetime = seconds;
        return this;
    }

    Conn rekey(Rekey r) {
        rekey = r;
        return this;
    }

    Conn esn(boolean e) {
        esn = e;
        return this;
    }

    /** Dead peer detection of our own (RFC 3706). */
    Conn dpd(Dpd d) {
        dpd = d;
        return this;
    }

    /** Pools are given as comma-separated entries. */
    IkeConnection build() {
        return new IkeConnection(name, reqid, mode, protocol, AddressPool.parse(localOuter.split(",")),
                AddressPool.parse(remoteOuter.split(",")),
                AddressPool.parse(localProtected), AddressPool.parse(remoteProtected), ike, esp,
                certificates != null ? new byte[0] : psk.getBytes(StandardCharsets.US_ASCII), lifetime, ikeLifetime, start,
                encap, 64, esn, bundleAh, certificates, rekey, dpd);
    }
}
