package net.poolsa.ike;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.CompletableFuture;

import net.poolsa.esp.sa.Direction;
import net.poolsa.esp.sa.SecurityAssociation;
import net.poolsa.ike.job.Timers;

/**
 * The usual scene of the exchange tests: gateway A (192.0.2.1, protecting 198.51.100.0/24) and gateway B
 * (192.0.2.2, protecting 203.0.113.0/24) on one {@link Wire}, seeded so that every run is the same.
 */
final class Gateways {
    final Wire wire = new Wire();
    final Wire.Side a;
    final Wire.Side b;

    Gateways() {
        this(Timers.DEFAULT);
    }

    Gateways(Timers timers) {
        this(timers, new String[] {"192.0.2.1"}, new String[] {"192.0.2.2"});
    }

    /** Gateways with several addresses each (dual-homed). */
    Gateways(Timers timers, String[] atA, String[] atB) {
        a = wire.side("A", 1, timers, atA);
        b = wire.side("B", 2, timers, atB);
    }

    /** A's side of the connection. */
    static Conn forA() {
        return Conn.of("192.0.2.1", "192.0.2.2", "198.51.100.0/24", "203.0.113.0/24");
    }

    /** B's side. */
    static Conn forB() {
        return Conn.of("192.0.2.2", "192.0.2.1", "203.0.113.0/24", "198.51.100.0/24");
    }

    void configure(Conn atA, Conn atB) {
        done(a.engine.configure(List.of(atA.build())).toCompletableFuture());
        done(b.engine.configure(List.of(atB.build())).toCompletableFuture());
    }

    /** {@code side} initiates connection "c"; the wire runs until quiet; the result must be there. */
    IkeResult initiate(Wire.Side side) {
        CompletableFuture<IkeResult> r = side.engine.initiate("c").toCompletableFuture();
        wire.flush();
        return done(r);
    }

    static <T> T done(CompletableFuture<T> f) {
        assertTrue(f.isDone(), "the engine answered on its loop");
        return f.getNow(null);
    }

    List<IkeSaSnapshot> snapshot(Wire.Side side) {
        return done(side.engine.snapshot().toCompletableFuture());
    }

    /** The one SA of {@code side}'s kernel in direction {@code d}. */
    static SecurityAssociation one(Wire.Side side, Direction d) {
        List<SecurityAssociation> out = side.kernel.listSas().stream().filter(s -> s.direction() == d).toList();
        assertEquals(1, out.size(), side + " " + d + " SAs: " + side.kernel.listSas());
        return out.get(0);
    }
}
