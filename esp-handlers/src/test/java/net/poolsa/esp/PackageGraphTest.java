package net.poolsa.esp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

/**
 * The dependencies between the data plane's packages, read from the main sources (imports, fully qualified names and
 * javadoc links alike): the packages form no cycle (the one known exception named below), and only the kernel
 * package names the kernel's implementation, so everything else depends on the {@code IpsecKernel} interface.
 */
class PackageGraphTest {
    private static final Path SOURCES = Path.of("src/main/java/net/poolsa/esp");
    private static final Pattern PACKAGE = Pattern.compile("^package net\\.poolsa\\.esp\\.(\\w+);", Pattern.MULTILINE);
    private static final Pattern REFERENCE = Pattern.compile("net\\.poolsa\\.esp\\.(\\w+)\\.[A-Z]");
    /**
     * Older than this test: sa names its algorithms by crypto's enums (SaKeys) and crypto's algorithm table checks
     * per IPsec protocol (IpsecAlgorithms takes sa's IpsecProtocol).
     */
    private static final Set<Set<String>> KNOWN_CYCLES = Set.of(Set.of("crypto", "sa"));

    @Test
    void packagesFormNoCycle() throws IOException {
        Map<String, Set<String>> graph = graph();
        assertTrue(graph.keySet().containsAll(List.of("pipeline", "path", "event", "kernel", "transform")), graph.toString());
        List<String> cycles = new ArrayList<>();
        for (String a : graph.keySet()) {
            for (String b : graph.get(a)) {
                if (a.compareTo(b) < 0 && reaches(graph, b, a)) {
                    Set<String> pair = Set.of(a, b);
                    if (!KNOWN_CYCLES.contains(pair)) {
                        cycles.add(a + " <-> " + b);
                    }
                }
            }
        }
        assertEquals(List.of(), cycles, "packages that depend on each other, directly or through others: " + graph);
    }

    @Test
    void onlyTheKernelPackageNamesTheImplementation() throws IOException {
        List<String> naming = new ArrayList<>();
        try (Stream<Path> files = Files.walk(SOURCES)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                if (!f.getParent().getFileName().toString().equals("kernel")
                        && Files.readString(f).contains("UserspaceIpsecKernel")) {
                    naming.add(SOURCES.relativize(f).toString());
                }
            }
        }
        assertEquals(List.of(), naming, "files that should take the IpsecKernel interface");
    }

    /** Package -> the other esp packages its sources name. */
    private static Map<String, Set<String>> graph() throws IOException {
        Map<String, Set<String>> graph = new TreeMap<>();
        try (Stream<Path> files = Files.walk(SOURCES)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                String text = Files.readString(f);
                Matcher p = PACKAGE.matcher(text);
                if (!p.find()) {
                    continue;
                }
                Set<String> to = graph.computeIfAbsent(p.group(1), k -> new TreeSet<>());
                Matcher r = REFERENCE.matcher(text);
                while (r.find()) {
                    if (!r.group(1).equals(p.group(1))) {
                        to.add(r.group(1));
                    }
                }
            }
        }
        return graph;
    }

    private static boolean reaches(Map<String, Set<String>> graph, String from, String to) {
        Set<String> seen = new TreeSet<>();
        List<String> todo = new ArrayList<>(List.of(from));
        while (!todo.isEmpty()) {
            String x = todo.remove(todo.size() - 1);
            if (x.equals(to)) {
                return true;
            }
            if (seen.add(x)) {
                todo.addAll(graph.getOrDefault(x, Set.of()));
            }
        }
        return false;
    }
}
