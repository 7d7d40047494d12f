package net.poolsa.esp.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The switch between TX rings and raw sockets for decapsulated packets (docs/host-changes.md). */
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
}
