package net.poolsa.esp.netns;

import org.junit.jupiter.api.Tag;

/**
 * Needs root: {@link RouterNetnsTest} with both gateways using a TUN device as the divert sink: decapsulated packets
 * are written into it, so the kernel receives and forwards them itself, decrementing the TTL and answering with
 * time exceeded as it does for any interface; poolsa must then leave the TTL alone.
 */
@Tag("root")
class RouterTunNetnsTest extends RouterNetnsTest {
    @Override
    String sinkKind() {
        return "tun";
    }
}
