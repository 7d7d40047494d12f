package net.poolsa.appliance.lifecycle;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

/**
 * The appliance depends on the {@code IpsecKernel} interface: of its main sources, only the start-up
 * ({@link Appliance}, which constructs the kernel) names the implementation, so IKE or another kernel can stand in.
 */
class KernelDependencyTest {
    @Test
    void onlyTheStartUpNamesTheImplementation() throws IOException {
        Path sources = Path.of("src/main/java");
        List<String> naming = new ArrayList<>();
        try (Stream<Path> files = Files.walk(sources)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".java")).sorted().toList()) {
                if (Files.readString(f).contains("UserspaceIpsecKernel")) {
                    naming.add(sources.relativize(f).toString());
                }
            }
        }
        assertEquals(List.of("net/poolsa/appliance/lifecycle/Appliance.java"), naming);
    }
}
