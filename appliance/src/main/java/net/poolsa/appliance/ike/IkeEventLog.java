package net.poolsa.appliance.ike;

import java.net.InetAddress;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiConsumer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import net.poolsa.appliance.metrics.IkeMeters;
import net.poolsa.esp.sa.IpLiterals;
import net.poolsa.ike.IkeEvents;

/**
 * The engine's events bound to the appliance's meters and log (the engine logs its exchanges and child SAs itself). Called on the engine's event loop, so it only
 * increments counters and writes the occasional line; it never throws back into the engine.
 */
public final class IkeEventLog implements IkeEvents {
    private static final Logger LOG = LoggerFactory.getLogger(IkeEventLog.class);
    /** IKEv1 is the only version the engine speaks. */
    static final String VERSION = "1";

    private final IkeMeters meters;
    private final AtomicBoolean unknownReported = new AtomicBoolean();
    /** Where authenticated path evidence goes: the running data path, or nowhere before it starts. */
    private volatile BiConsumer<InetAddress, InetAddress> paths = (local, remote) -> {
    };

    public IkeEventLog(IkeMeters meters) {
        this.meters = meters;
    }

    @Override
    public void exchange(String exchangeType, String result) {
        IkeMeters.Result r = result(result);
        if (r == null || !meters.knows(VERSION, exchangeType)) {
            // A label outside the metric's fixed set: say so once rather than grow the series set.
            if (unknownReported.compareAndSet(false, true)) {
                LOG.warn("event=ike_exchange_uncounted exchange={} result={} reason=\"label outside poolsa_ike_exchanges_total\"",
                        exchangeType, result);
            }
            return;
        }
        meters.exchange(VERSION, exchangeType, r);
    }

    /** The engine's result words: ok, failed, timeout, refused. */
    static IkeMeters.Result result(String result) {
        return switch (result.toLowerCase(Locale.ROOT)) {
            case "ok", "success" -> IkeMeters.Result.SUCCESS;
            case "failed", "failure" -> IkeMeters.Result.FAILURE;
            case "timeout" -> IkeMeters.Result.TIMEOUT;
            case "refused" -> IkeMeters.Result.REFUSED;
            default -> null;
        };
    }

    @Override
    public void dropped(String reason) {
        meters.dropped(reason);
    }

    /** The data path's path monitor takes DPD answers as evidence from now on (the appliance started it). */
    public void pathEvidence(BiConsumer<InetAddress, InetAddress> sink) {
        this.paths = sink;
    }

    @Override
    public void dpd(String connection, InetAddress peer, String outcome) {
        if (IkeMeters.DPD_OUTCOMES.contains(outcome)) {
            meters.dpd(IpLiterals.format(peer), outcome);
        }
    }

    @Override
    public void dpdPeerDead(String connection, String action) {
        if (action.equals("clear") || action.equals("restart")) {
            meters.dpdPeerDead(action);
        }
    }

    @Override
    public void pathConfirmed(InetAddress local, InetAddress remote) {
        paths.accept(local, remote);
    }

    @Override
    public void compatibilityFallback(String connection, String peer) {
        meters.idListFallback();
        LOG.warn("event=ike_id_list_refused connection={} peer={} fallback=one_quick_mode_per_range_pair", connection, peer);
    }

    // --- rekeying (issue 12: lifetimes) ---

    @Override
    public void rekey(String kind, String result) {
        IkeMeters.Result r = result(result);
        if (r == null || !meters.rekey(kind, r)) {
            if (unknownReported.compareAndSet(false, true)) {
                LOG.warn("event=ike_rekey_uncounted kind={} result={} reason=\"label outside poolsa_ike_rekeys_total\"",
                        kind, result);
            }
        }
    }

    /** Counted only: one line per keepalive would say nothing a counter does not. */
    @Override
    public void natKeepalive(String direction) {
        meters.natKeepalive(direction);
    }

    @Override
    public void halfOpen(int count) {
        meters.halfOpen(count);
    }

    @Override
    public void halfOpenEvicted() {
        meters.halfOpenEvicted();
    }
}
