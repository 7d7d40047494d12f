package net.poolsa.ike;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@link IkeEvents} that counts what it is told, for assertions on exact numbers. */
final class RecordingEvents implements IkeEvents {
    final Map<String, Integer> exchanges = new LinkedHashMap<>();
    final Map<String, Integer> drops = new LinkedHashMap<>();
    final Map<String, Integer> rekeys = new LinkedHashMap<>();
    final List<String> installed = new ArrayList<>();
    final List<String> fallbacks = new ArrayList<>();
    /** "peer outcome" of every DPD event, e.g. "192.0.2.2 acked", and the count of each. */
    final Map<String, Integer> dpd = new LinkedHashMap<>();
    final List<String> peersDead = new ArrayList<>();
    /** "local>remote" of every path a DPD answer confirmed. */
    final List<String> confirmed = new ArrayList<>();
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
    public void rekey(String kind, String result) {
        rekeys.merge(kind + "/" + result, 1, Integer::sum);
    }

    int rekeys(String key) {
        return rekeys.getOrDefault(key, 0);
    }

    @Override
    public void dpd(String connection, java.net.InetAddress peer, String outcome) {
        dpd.merge(peer.getHostAddress() + " " + outcome, 1, Integer::sum);
    }

    @Override
    public void dpdPeerDead(String connection, String action) {
        peersDead.add(connection + " " + action);
    }

    @Override
    public void pathConfirmed(java.net.InetAddress local, java.net.InetAddress remote) {
        confirmed.add(local.getHostAddress() + ">" + remote.getHostAddress());
    }

    int dpd(String peerAndOutcome) {
        return dpd.getOrDefault(peerAndOutcome, 0);
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
