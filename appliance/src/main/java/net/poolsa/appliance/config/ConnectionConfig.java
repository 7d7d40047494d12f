package net.poolsa.appliance.config;

import java.util.List;

import net.poolsa.esp.sa.AddressPool;
import net.poolsa.esp.sa.IpsecProtocol;
import net.poolsa.esp.sa.Lifetime;
import net.poolsa.esp.sa.SaMode;
import net.poolsa.esp.sa.TrafficSelector;
import net.poolsa.esp.sa.UdpEncapsulation;
import net.poolsa.ike.Rekey;
import net.poolsa.ike.StartAction;

/**
 * One connection: pool SAs between our outer pool and the peer's (paper §3.1), protecting traffic between
 * the protected pools. Equality covers every field including key fingerprints, which is what a reload
 * compares to decide whether a connection's SAs can stay.
 *
 * @param reqid           explicit reqid, or 0 to let the appliance assign a stable one
 * @param ikeProposals    IKE proposals (strongSwan syntax, e.g. aes128-sha256-modp2048), for IKE keying
 * @param espProposals    ESP/AH proposals (e.g. aes128gcm16-modp2048), for IKE keying
 * @param udpEncapsulation RFC 3948 ports, or null for plain ESP/AH
 * @param manual          manually keyed SAs, or null when IKE negotiates them
 * @param authentication  how IKE authenticates, or null for manual keying
 * @param startAction     IKE: when to negotiate (swanctl's start_action; default {@link StartAction#TRAP})
 * @param ikeLifetimeSeconds IKE: the phase-1 SA lifetime offered and accepted, 0 = the engine's default
 * @param ahBundleProposals IKE with ESP: AH proposals (e.g. sha256) that make each Quick Mode an AH+ESP bundle, empty for
 *                          none (docs/ikev1-pools.md section 3)
 * @param rekey           IKE: rekey jitter, grace of a replaced pair, phase-1 rekey time ({@code rekey:} block)
 */
public record ConnectionConfig(String name, SaMode mode, IpsecProtocol protocol,
                               AddressPool localOuter, AddressPool remoteOuter,
                               AddressPool localProtected, AddressPool remoteProtected,
                               int reqid, List<String> ikeProposals, List<String> espProposals,
                               Lifetime lifetime, DpdConfig dpd, int replayWindow, boolean extendedSequenceNumbers,
                               UdpEncapsulation udpEncapsulation, ManualSaConfig manual, Authentication authentication,
                               StartAction startAction, long ikeLifetimeSeconds, List<String> ahBundleProposals,
                               Rekey rekey) {
    public ConnectionConfig {
        ikeProposals = List.copyOf(ikeProposals);
        espProposals = List.copyOf(espProposals);
        ahBundleProposals = List.copyOf(ahBundleProposals);
        java.util.Objects.requireNonNull(rekey, "rekey");
    }

    /** With the default rekey timing ({@link Rekey#DEFAULT}). */
    public ConnectionConfig(String name, SaMode mode, IpsecProtocol protocol, AddressPool localOuter, AddressPool remoteOuter,
                            AddressPool localProtected, AddressPool remoteProtected, int reqid, List<String> ikeProposals,
                            List<String> espProposals, Lifetime lifetime, DpdConfig dpd, int replayWindow,
                            boolean extendedSequenceNumbers, UdpEncapsulation udpEncapsulation, ManualSaConfig manual,
                            Authentication authentication, StartAction startAction, long ikeLifetimeSeconds,
                            List<String> ahBundleProposals) {
        this(name, mode, protocol, localOuter, remoteOuter, localProtected, remoteProtected, reqid, ikeProposals,
                espProposals, lifetime, dpd, replayWindow, extendedSequenceNumbers, udpEncapsulation, manual, authentication,
                startAction, ikeLifetimeSeconds, ahBundleProposals, Rekey.DEFAULT);
    }

    /** Without an IKE AH+ESP bundle. */
    public ConnectionConfig(String name, SaMode mode, IpsecProtocol protocol, AddressPool localOuter, AddressPool remoteOuter,
                            AddressPool localProtected, AddressPool remoteProtected, int reqid, List<String> ikeProposals,
                            List<String> espProposals, Lifetime lifetime, DpdConfig dpd, int replayWindow,
                            boolean extendedSequenceNumbers, UdpEncapsulation udpEncapsulation, ManualSaConfig manual,
                            Authentication authentication, StartAction startAction, long ikeLifetimeSeconds) {
        this(name, mode, protocol, localOuter, remoteOuter, localProtected, remoteProtected, reqid, ikeProposals,
                espProposals, lifetime, dpd, replayWindow, extendedSequenceNumbers, udpEncapsulation, manual, authentication,
                startAction, ikeLifetimeSeconds, List.of());
    }

    /** Without the IKE-only settings: start action {@link StartAction#TRAP}, the engine's IKE lifetime. */
    public ConnectionConfig(String name, SaMode mode, IpsecProtocol protocol, AddressPool localOuter, AddressPool remoteOuter,
                            AddressPool localProtected, AddressPool remoteProtected, int reqid, List<String> ikeProposals,
                            List<String> espProposals, Lifetime lifetime, DpdConfig dpd, int replayWindow,
                            boolean extendedSequenceNumbers, UdpEncapsulation udpEncapsulation, ManualSaConfig manual,
                            Authentication authentication) {
        this(name, mode, protocol, localOuter, remoteOuter, localProtected, remoteProtected, reqid, ikeProposals,
                espProposals, lifetime, dpd, replayWindow, extendedSequenceNumbers, udpEncapsulation, manual, authentication,
                StartAction.TRAP, 0);
    }

    public boolean manuallyKeyed() {
        return manual != null;
    }

    /**
     * Wipes the key material this configuration holds: manual keys (the SAs keep their own copies) and the IKE
     * pre-shared key (the IKE engine keeps its own); equality still works.
     */
    public void destroyKeys() {
        if (manual != null) {
            manual.destroyKeys();
        }
        if (authentication instanceof Psk p) {
            p.key().destroy();
        }
    }

    /** True when no key material of this configuration is left in memory. */
    public boolean keysDestroyed() {
        return (manual == null || manual.keysDestroyed()) && !(authentication instanceof Psk p && !p.key().isDestroyed());
    }

    /** Outbound inner traffic: from our protected pool to the peer's. */
    public TrafficSelector outboundSelector() {
        return TrafficSelector.between(localProtected, remoteProtected);
    }

    public TrafficSelector inboundSelector() {
        return TrafficSelector.between(remoteProtected, localProtected);
    }

    /**
     * Dead peer detection (RFC 3706 for IKEv1, liveness checks of RFC 7296 §2.4 for IKEv2).
     *
     * @param delayMillis   interval of the R-U-THEREs on each path, 0 = off
     * @param timeoutMillis how long without any answer before the action
     */
    public record DpdConfig(long delayMillis, long timeoutMillis, DpdAction action) {
        public static final DpdConfig OFF = new DpdConfig(0, 0, DpdAction.CLEAR);

        public boolean enabled() {
            return delayMillis > 0;
        }
    }

    public enum DpdAction {
        CLEAR, RESTART, TRAP
    }

    /**
     * Manually keyed SA pair (as {@code ip xfrm state add} or swanctl-less setkey).
     *
     * @param bundleAh with ESP: a transport-mode AH pair applied over the ESP packets (an AH+ESP bundle,
     *                 RFC 4301 §4.5), or null
     */
    public record ManualSaConfig(int spiIn, int spiOut, String encryption, String integrity,
                                 Secret encryptionKeyIn, Secret encryptionKeyOut,
                                 Secret integrityKeyIn, Secret integrityKeyOut, BundleAhConfig bundleAh) {
        public ManualSaConfig(int spiIn, int spiOut, String encryption, String integrity,
                              Secret encryptionKeyIn, Secret encryptionKeyOut,
                              Secret integrityKeyIn, Secret integrityKeyOut) {
            this(spiIn, spiOut, encryption, integrity, encryptionKeyIn, encryptionKeyOut, integrityKeyIn, integrityKeyOut, null);
        }

        private java.util.List<Secret> secrets() {
            java.util.List<Secret> all = new java.util.ArrayList<>(6);
            for (Secret s : new Secret[] {encryptionKeyIn, encryptionKeyOut, integrityKeyIn, integrityKeyOut}) {
                if (s != null) {
                    all.add(s);
                }
            }
            if (bundleAh != null) {
                all.add(bundleAh.keyIn());
                all.add(bundleAh.keyOut());
            }
            return all;
        }

        void destroyKeys() {
            secrets().forEach(Secret::destroy);
        }

        boolean keysDestroyed() {
            return secrets().stream().allMatch(Secret::isDestroyed);
        }
    }

    /** The transport-mode AH SA pair of an AH+ESP bundle, installed under the connection's reqid. */
    public record BundleAhConfig(int spiIn, int spiOut, String integrity, Secret keyIn, Secret keyOut) {
    }

    /** How IKE authenticates the peer: a pre-shared key, or certificates (for the IKE module). */
    public sealed interface Authentication permits Psk, Certificates {
    }

    public record Psk(java.nio.file.Path file, Secret key) implements Authentication {
    }

    /**
     * Certificate authentication (RFC 2409 §5.1), with everything already read and checked.
     *
     * @param certificate    our X.509 certificate (PEM), then the intermediates a peer needs
     * @param privateKey     its private key (PEM; a secret file, permissions checked)
     * @param caCertificates trust anchors for the peer's certificate
     * @param crls           CRL files (RFC 5280 §5); empty for none
     * @param localId        our phase-1 identity, null for our certificate's subject DN
     * @param remoteId       the identity the peer must prove, null for any its certificate holds
     * @param grantedPools   addresses the peer may claim whatever its certificate says (RFC 3554 §4); empty for none
     * @param revocation     what decides when no CRL can
     * @param credentials    our certificate chain and key as loaded (the key never leaves it)
     * @param trust          the CAs and CRLs as loaded
     */
    public record Certificates(java.nio.file.Path certificate, java.nio.file.Path privateKey,
                               List<java.nio.file.Path> caCertificates, List<java.nio.file.Path> crls, String localId,
                               String remoteId, net.poolsa.esp.sa.AddressPool grantedPools,
                               net.poolsa.ike.auth.RevocationPolicy revocation,
                               net.poolsa.ike.auth.LocalCredentials credentials, net.poolsa.ike.auth.TrustStore trust)
            implements Authentication {
        public Certificates {
            caCertificates = List.copyOf(caCertificates);
            crls = List.copyOf(crls);
        }
    }
}
