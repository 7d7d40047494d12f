package net.poolsa.appliance.config;

import java.util.ArrayList;
import java.util.List;

import net.poolsa.esp.sa.AddressPool;
import net.poolsa.esp.sa.IpsecProtocol;
import net.poolsa.esp.sa.Lifetime;
import net.poolsa.esp.sa.SaMode;

/**
 * What an sa-file says, statement by statement ({@link SetkeyParser} fills it), before {@link SetkeyConnections}
 * maps it to connections: the {@code add} SAs with their keys and the {@code spdadd} policies, each with its line.
 */
final class SetkeyStatements {
    record SaEntry(int line, AddressPool src, AddressPool dst, IpsecProtocol protocol, int spi, SaMode mode,
                           int reqid, int replay, Lifetime lifetime, String encryption, Secret encryptionKey,
                           String integrity, Secret integrityKey) {
    }

    record PolicyEntry(int line, AddressPool src, AddressPool dst, String direction, IpsecProtocol protocol,
                               SaMode mode, AddressPool tunnelSrc, AddressPool tunnelDst, int reqid, boolean bundleAh,
                               int ahReqid) {
    }

    final List<SaEntry> sas = new ArrayList<>();
    final List<PolicyEntry> policies = new ArrayList<>();

    /** Zeroes the keys of every SA read so far: the file was refused. */
    void destroyKeys() {
        for (SaEntry s : sas) {
            destroy(s.encryptionKey());
            destroy(s.integrityKey());
        }
    }

    static void destroy(Secret s) {
        if (s != null) {
            s.destroy();
        }
    }
}
