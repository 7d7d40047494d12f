package net.poolsa.ike.crypto;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link KeymatVectorTest} on a fresh capture from the strongSwan installed here, so that the vectors in resources
 * are not the only evidence. Runs {@code strongswan-keymat/capture-keymat.sh}, which needs root, strongswan-charon,
 * strongswan-swanctl, libstrongswan-standard-plugins and tcpdump (scripts/install-deps.sh installs them); its two
 * network namespaces carry this JVM's PID, use documentation addresses only, and are deleted by the script's exit
 * trap, which also ends the charons and tcpdump it started, by PID.
 */
@Tag("root")
class StrongSwanKeymatLiveTest {

    @Test
    void freshCaptureReproducesEveryValue(@TempDir Path dir) throws Exception {
        Path script = Path.of(getClass().getResource("/strongswan-keymat/capture-keymat.sh").toURI());
        Path out = dir.resolve("capture.out");
        Process p = new ProcessBuilder("sh", script.toString(), dir.toString(), Long.toString(ProcessHandle.current().pid()))
                .redirectErrorStream(true).redirectOutput(out.toFile()).start();
        if (!p.waitFor(180, TimeUnit.SECONDS)) {
            p.destroy(); // SIGTERM: the script's trap cleans up
            p.waitFor(30, TimeUnit.SECONDS);
        }
        String output = Files.readString(out, StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), output);

        StrongSwanCapture capture = StrongSwanCapture.load(dir);
        assertEquals(44, capture.datagrams.size(), "4 x (Main Mode 6 + Quick Mode 3 + 2 Deletes)");
        for (KeymatVectorTest.Variant v : KeymatVectorTest.VARIANTS) {
            new KeymatVectorTest.Check(capture, v).all();
        }
        assertTrue(Files.readString(dir.resolve("initiator.log"), StandardCharsets.ISO_8859_1)
                .contains("Starting IKE charon daemon (strongSwan"));
    }
}
