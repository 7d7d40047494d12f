package net.poolsa.appliance.keying;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import net.poolsa.appliance.config.ConnectionConfig;

/**
 * What a reload changes: connections only in the new file are added, only in the old one removed, in
 * both but different (any field, including a key file's content) changed, and identical ones kept with
 * their SAs, counters and current outer addresses.
 */
public record ConnectionDiff(List<String> added, List<String> removed, List<String> changed, List<String> unchanged) {
    public ConnectionDiff {
        added = List.copyOf(added);
        removed = List.copyOf(removed);
        changed = List.copyOf(changed);
        unchanged = List.copyOf(unchanged);
    }

    public static ConnectionDiff between(Map<String, ConnectionConfig> before, Map<String, ConnectionConfig> after) {
        List<String> added = new ArrayList<>();
        List<String> removed = new ArrayList<>();
        List<String> changed = new ArrayList<>();
        List<String> unchanged = new ArrayList<>();
        for (Map.Entry<String, ConnectionConfig> e : after.entrySet()) {
            ConnectionConfig old = before.get(e.getKey());
            if (old == null) {
                added.add(e.getKey());
            } else if (old.equals(e.getValue())) {
                unchanged.add(e.getKey());
            } else {
                changed.add(e.getKey());
            }
        }
        for (String name : before.keySet()) {
            if (!after.containsKey(name)) {
                removed.add(name);
            }
        }
        return new ConnectionDiff(added, removed, changed, unchanged);
    }

    public boolean isEmpty() {
        return added.isEmpty() && removed.isEmpty() && changed.isEmpty();
    }
}
