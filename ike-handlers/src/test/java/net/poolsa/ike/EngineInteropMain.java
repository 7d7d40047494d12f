package net.poolsa.ike;

import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.TimeUnit;

import net.poolsa.esp.kernel.UserspaceIpsecKernel;
import net.poolsa.esp.sa.AddressPool;
import net.poolsa.esp.sa.IpsecProtocol;
import net.poolsa.esp.sa.Lifetime;
import net.poolsa.esp.sa.SaMode;
import net.poolsa.esp.sa.SecurityAssociation;
import net.poolsa.ike.auth.CertificateAuthenticator;
import net.poolsa.ike.auth.LocalCredentials;
import net.poolsa.ike.auth.PeerValidator;
import net.poolsa.ike.auth.RevocationPolicy;
import net.poolsa.ike.auth.TrustStore;
import net.poolsa.ike.crypto.IkeRandom;
import net.poolsa.ike.transport.IkeTransportConfig;

/**
 * The engine alone in a JVM of its own, for {@code strongswan-engine/interop.sh}, which runs it inside a network
 * namespace against charon: one connection "poolsa", the SAs go to a {@link UserspaceIpsecKernel} with no data path.
 * Prints "ready" once the sockets are bound, then (as initiator) the result of initiating, then one "sa" line per
 * installed SA and "done ok" or "done failed"; exits (sending Deletes) when the stop file appears.
 * With AGAIN "1" the initiator terminates and initiates once more ("result2"), to show what it remembered.
 * With a CERTS directory (ca.pem, poolsa.pem, poolsa.key) the connection authenticates by certificate, validated at
 * the system clock, instead of the pre-shared key.
 * Arguments: ROLE LOCAL REMOTE LOCAL_TS REMOTE_TS IKE ESP PSK_FILE STOP_FILE [AGAIN [CERTS]].
 */
public final class EngineInteropMain {
    private EngineInteropMain() {
    }

    public static void main(String[] a) throws Exception {
        String role = a[0];
        InetAddress local = InetAddress.getByName(a[1]);
        byte[] psk = Files.readAllBytes(Path.of(a[7]));
        Path stop = Path.of(a[8]);
        CertificateAuthenticator certificates = null;
        if (a.length > 10 && !a[10].isEmpty()) {
            Path d = Path.of(a[10]);
            TrustStore trust = TrustStore.load(List.of(d.resolve("ca.pem")), List.of());
            certificates = new CertificateAuthenticator(LocalCredentials.load(d.resolve("poolsa.pem"),
                    d.resolve("poolsa.key")), trust, new PeerValidator(trust, Clock.systemUTC(),
                    RevocationPolicy.CHECK_CONFIGURED), null, null, AddressPool.EMPTY);
            psk = new byte[0];
        }
        UserspaceIpsecKernel kernel = new UserspaceIpsecKernel();
        IkeConnection c = new IkeConnection("poolsa", 7, SaMode.TUNNEL, IpsecProtocol.ESP, AddressPool.parse(a[1]),
                AddressPool.parse(a[2]), AddressPool.parse(a[3]), AddressPool.parse(a[4]), List.of(a[5]), List.of(a[6]),
                psk, Lifetime.ofSeconds(3000, 3600), 0, StartAction.NONE, false, 64, false, List.of(), certificates);
        boolean again = a.length > 9 && a[9].equals("1");
        RecordingEvents events = new RecordingEvents();
        try (IkeEngine engine = IkeEngine.start(IkeTransportConfig.standard(List.of(local)), kernel, events,
                IkeRandom.system())) {
            engine.configure(List.of(c)).toCompletableFuture().get(10, TimeUnit.SECONDS);
            System.out.println("ready");
            boolean ok;
            if (role.equals("initiator")) {
                IkeResult r = engine.initiate("poolsa").toCompletableFuture().get(120, TimeUnit.SECONDS);
                System.out.println("result " + (r.ok() ? "ok " : "failed ") + r.message());
                ok = r.ok();
                if (again) {
                    System.out.println("terminate " + engine.terminate("poolsa").toCompletableFuture().get().message());
                    Thread.sleep(500);
                    r = engine.initiate("poolsa").toCompletableFuture().get(120, TimeUnit.SECONDS);
                    System.out.println("result2 " + (r.ok() ? "ok " : "failed ") + r.message());
                    ok &= r.ok();
                }
            } else {
                long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (engine.snapshot().toCompletableFuture().get().stream().allMatch(s -> s.children().isEmpty())
                        && System.nanoTime() < end) {
                    Thread.sleep(100);
                }
                ok = !engine.snapshot().toCompletableFuture().get().stream().allMatch(s -> s.children().isEmpty());
            }
            for (IkeSaSnapshot s : engine.snapshot().toCompletableFuture().get()) {
                System.out.println("ike " + s.role() + " " + s.state() + " " + s.proposal() + " natt=" + s.natT()
                        + " local=" + s.local() + " remote=" + s.remote());
            }
            for (SecurityAssociation sa : kernel.listSas()) {
                System.out.printf("sa %s 0x%08x %s udp=%s outer=%s>%s%n", sa.direction().name().toLowerCase(), sa.spi(),
                        sa.keys().encryptionAlgorithm() + "/" + sa.keys().integrityAlgorithm(),
                        sa.udpEncapsulation() == null ? "none" : sa.udpEncapsulation().localPort() + ":"
                                + sa.udpEncapsulation().remotePort(), sa.localOuter(), sa.remoteOuter());
            }
            System.out.println("events exchanges=" + events.exchanges + " drops=" + events.drops + " fallbacks="
                    + events.fallbacks);
            System.out.println(ok && !kernel.listSas().isEmpty() ? "done ok" : "done failed");
            System.out.flush();
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!Files.exists(stop) && System.nanoTime() < end) {
                Thread.sleep(100);
            }
        }
    }
}
