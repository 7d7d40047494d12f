package net.poolsa.ike.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link StrongSwanSignatureTest} on a fresh capture: makes a throwaway PKI with Bouncy Castle ({@link CapturePki}),
 * runs {@code strongswan-certs/capture-certs.sh} with it and checks what two strongSwan charons did with it, so that
 * the saved capture is not the only evidence. Needs root, strongswan-charon, strongswan-swanctl,
 * libstrongswan-standard-plugins, tcpdump and tshark (scripts/install-deps.sh installs them); the script's two
 * network namespaces carry this JVM's PID, use documentation addresses only, and are deleted by its exit trap, which
 * also ends the charons and tcpdump it started, by PID.
 *
 * <p>With {@code -Dpoolsa.certs.capture.out=DIR} the PKI and the capture are also copied to DIR: that is how the
 * files in {@code src/test/resources/strongswan-certs} were made (see its README).
 */
@Tag("root")
class StrongSwanSignatureLiveTest {

    @Test
    void freshCaptureVerifies(@TempDir Path dir) throws Exception {
        Path pki = dir.resolve("pki");
        Path out = dir.resolve("capture");
        Files.createDirectories(out);
        CapturePki.write(pki, Instant.now());
        Path script = Path.of(getClass().getResource("/strongswan-certs/capture-certs.sh").toURI());
        Path log = dir.resolve("capture.out");
        Process p = new ProcessBuilder("sh", script.toString(), pki.toString(), out.toString(),
                Long.toString(ProcessHandle.current().pid())).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!p.waitFor(180, TimeUnit.SECONDS)) {
            p.destroy(); // SIGTERM: the script's trap cleans up
            p.waitFor(30, TimeUnit.SECONDS);
        }
        assertEquals(0, p.exitValue(), Files.readString(log, StandardCharsets.UTF_8));

        String keep = System.getProperty("poolsa.certs.capture.out");
        if (keep != null) {
            copy(pki, Path.of(keep, "pki"));
            copy(out, Path.of(keep));
        }
        StrongSwanSignatureCheck check = new StrongSwanSignatureCheck(out, pki);
        for (StrongSwanSignatureCheck.Variant v : StrongSwanSignatureCheck.VARIANTS) {
            check.checkWithRefusals(v);
        }
        check.revokedInitiatorIsRefused(StrongSwanSignatureCheck.VARIANTS.get(0), dir);
    }

    private static void copy(Path from, Path to) throws Exception {
        Files.createDirectories(to);
        try (Stream<Path> files = Files.list(from)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                if (Files.isRegularFile(f)) {
                    Files.copy(f, to.resolve(f.getFileName()), StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
    }
}
