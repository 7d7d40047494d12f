package net.poolsa.ike;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@link IkeEvents} that counts what it is told, for assertions on exact numbers. */
final class RecordingEvents implements IkeEvents {
    final Map<String, Integer> exchanges = new LinkedHashMap<>();
    final Map<String, Integer> drops = new LinkedHashMap<>();
    final List<String> installed = new ArrayList<>();
    final List<String> fallbacks = new ArrayList<>();
    int halfOpen;
    int maxHalfOpen;
    int evicted;

    @Override
    public void exchange(String exchangeType, String result) {
        exchanges.merge(exchangeType + "/" + result, 1, Integer::sum);
    }

    @Override
    public void dropped(String reason) {
        drops.merge(reason, 1, Integer::sum);
    }

    @Override
    public void childSaInstalled(String connection, int spiIn, int spiOut) {
        installed.add(String.format("%s %08x %08x", connection, spiIn, spiOut));
    }

    @Override
    public void compatibilityFallback(String connection, String peer) {
        fallbacks.add(connection + " " + peer);
    }

    @Override
    public void halfOpen(int count) {
        halfOpen = count;
        maxHalfOpen = Math.max(maxHalfOpen, count);
    }

    @Override
    public void halfOpenEvicted() {
        evicted++;
    }

    int exchanges(String key) {
        return exchanges.getOrDefault(key, 0);
    }

    int drops(String reason) {
        return drops.getOrDefault(reason, 0);
    }

    int totalDrops() {
        int n = 0;
        for (int v : drops.values()) {
            n += v;
        }
        return n;
    }
}
