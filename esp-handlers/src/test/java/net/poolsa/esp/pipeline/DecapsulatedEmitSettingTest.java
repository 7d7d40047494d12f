package net.poolsa.esp.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The switch between TX rings and raw sockets for decapsulated packets, and their interfaces (docs/host-changes.md). */
class DecapsulatedEmitSettingTest {
    @AfterEach
    void clear() {
        System.clearProperty(DataPlane.DECAPSULATED_EMIT_PROPERTY);
    }

    @Test
    void ringsByDefaultRawWhenAskedAndAnythingElseRefusedWithTheValuesThatWork() {
        assertTrue(DataPlane.decapsulatedThroughRings());
        System.setProperty(DataPlane.DECAPSULATED_EMIT_PROPERTY, "raw");
        assertFalse(DataPlane.decapsulatedThroughRings());
        System.setProperty(DataPlane.DECAPSULATED_EMIT_PROPERTY, " ring ");
        assertTrue(DataPlane.decapsulatedThroughRings());
        System.setProperty(DataPlane.DECAPSULATED_EMIT_PROPERTY, "xdp");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, DataPlane::decapsulatedThroughRings);
        assertEquals("-Dpoolsa.emit.decapsulated=xdp: ring or raw", e.getMessage());
    }

    @Test
    void ringsGoToTheCleartextInterfacesNotTheSinkOrTheUplinksAtMostEightInNameOrder() {
        List<String> candidates = List.of("vlan9", "psink", "l1a", "eth1", "l2a", "br0", "c1", "c2", "c3", "c4", "c5", "c6");
        assertEquals(List.of("br0", "c1", "c2", "c3", "c4", "c5", "c6", "eth1"),
                DataPlane.cleartextRings(candidates, "psink", List.of("l1a", "l2a")));
        assertEquals(List.of("eth1"), DataPlane.cleartextRings(List.of("psink", "l1a", "eth1"), "psink", List.of("l1a")));
        assertEquals(List.of(), DataPlane.cleartextRings(List.of("psink", "l1a"), "psink", List.of("l1a")));
    }
}
