package net.poolsa.appliance.config;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

import net.poolsa.esp.sa.AddressPool;

/**
 * A node of the composed YAML tree with its dotted field path, so every check can report file, line and
 * field. We read the node tree (not SnakeYAML's object binding) because only nodes keep their line marks.
 */
final class ConfigNode {
    private final Path file;
    private final String path;
    private final Node node;

    ConfigNode(Path file, String path, Node node) {
        this.file = file;
        this.path = path;
        this.node = node;
    }

    String path() {
        return path;
    }

    int line() {
        return node.getStartMark() == null ? 0 : node.getStartMark().getLine() + 1;
    }

    Path file() {
        return file;
    }

    ConfigException error(String problem) {
        return new ConfigException(file, line(), path, problem);
    }

    /** The entries of a mapping, in file order; unknown keys are refused so a typo is not silently ignored. */
    Map<String, ConfigNode> mapping(Set<String> allowed) throws ConfigException {
        if (!(node instanceof MappingNode m)) {
            throw error("expected a mapping (key: value lines), got " + kind());
        }
        Map<String, ConfigNode> out = new LinkedHashMap<>();
        for (NodeTuple t : m.getValue()) {
            if (!(t.getKeyNode() instanceof ScalarNode k)) {
                throw new ConfigNode(file, path, t.getKeyNode()).error("keys must be plain words");
            }
            String key = k.getValue();
            String childPath = path.isEmpty() ? key : path + "." + key;
            if (allowed != null && !allowed.contains(key)) {
                throw new ConfigException(file, k.getStartMark().getLine() + 1, childPath,
                        "unknown field (expected one of " + String.join(", ", new java.util.TreeSet<>(allowed)) + ")");
            }
            if (out.put(key, new ConfigNode(file, childPath, t.getValueNode())) != null) {
                throw new ConfigException(file, k.getStartMark().getLine() + 1, childPath, "field given twice");
            }
        }
        return out;
    }

    List<ConfigNode> sequence() throws ConfigException {
        if (node instanceof ScalarNode) {
            // A single value where a list is expected is accepted as a list of one.
            return List.of(this);
        }
        if (!(node instanceof SequenceNode s)) {
            throw error("expected a list, got " + kind());
        }
        List<ConfigNode> out = new ArrayList<>();
        for (int i = 0; i < s.getValue().size(); i++) {
            out.add(new ConfigNode(file, path + "[" + i + "]", s.getValue().get(i)));
        }
        return out;
    }

    String string() throws ConfigException {
        if (!(node instanceof ScalarNode s)) {
            throw error("expected a single value, got " + kind());
        }
        String v = s.getValue().trim();
        if (v.isEmpty() || v.equals("~") || v.equals("null")) {
            throw error("must not be empty");
        }
        return v;
    }

    List<String> strings() throws ConfigException {
        List<String> out = new ArrayList<>();
        for (ConfigNode n : sequence()) {
            out.add(n.string());
        }
        return out;
    }

    long integer(long min, long max) throws ConfigException {
        String v = string().replace("_", "");
        long n;
        try {
            n = v.startsWith("0x") || v.startsWith("0X") ? Long.parseUnsignedLong(v.substring(2), 16) : Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw error("'" + v + "' is not a number");
        }
        if (n < min || n > max) {
            throw error(n + " is not within " + min + "-" + max);
        }
        return n;
    }

    boolean bool() throws ConfigException {
        String v = string();
        return switch (v) {
            case "true", "yes", "on" -> true;
            case "false", "no", "off" -> false;
            default -> throw error("'" + v + "' is not true or false");
        };
    }

    /**
     * One of {@code values}, compared case-insensitively; the message lists what is allowed. A value that is also a
     * YAML null word ({@code encryption: null}, ESP-NULL) is taken as the word, not refused as empty.
     */
    String oneOf(String... values) throws ConfigException {
        if (node instanceof ScalarNode s) {
            for (String allowed : values) {
                if (allowed.equalsIgnoreCase(s.getValue().trim())) {
                    return allowed;
                }
            }
        }
        String v = string();
        for (String allowed : values) {
            if (allowed.equalsIgnoreCase(v)) {
                return allowed;
            }
        }
        throw error("'" + v + "' is not one of " + String.join(", ", values));
    }

    /** A pool from a list of prefixes or ranges; AddressPool's own message names the bad entry. */
    AddressPool pool() throws ConfigException {
        List<String> entries = new ArrayList<>();
        for (ConfigNode n : sequence()) {
            String entry = n.string();
            try {
                AddressPool.parse(entry);
            } catch (IllegalArgumentException e) {
                throw n.error(e.getMessage());
            }
            entries.add(entry);
        }
        if (entries.isEmpty()) {
            throw error("the pool must hold at least one prefix or range");
        }
        return AddressPool.parse(entries);
    }

    private String kind() {
        if (node instanceof MappingNode) {
            return "a mapping";
        }
        if (node instanceof SequenceNode) {
            return "a list";
        }
        return "'" + ((ScalarNode) node).getValue() + "'";
    }
}
