package net.poolsa.appliance.keying;

import net.poolsa.appliance.config.ConnectionConfig;
import net.poolsa.esp.sa.SecurityAssociation;

/**
 * The kernel objects of one manually keyed connection: its SA pair and the outbound and inbound
 * policies that name them by reqid; for an AH+ESP bundle also the AH pair (else both null).
 */
public record InstalledConnection(ConnectionConfig config, int reqid, SecurityAssociation inbound,
                                  SecurityAssociation outbound, String outboundPolicyId, String inboundPolicyId,
                                  SecurityAssociation ahInbound, SecurityAssociation ahOutbound) {
    public InstalledConnection(ConnectionConfig config, int reqid, SecurityAssociation inbound,
                               SecurityAssociation outbound, String outboundPolicyId, String inboundPolicyId) {
        this(config, reqid, inbound, outbound, outboundPolicyId, inboundPolicyId, null, null);
    }
}
