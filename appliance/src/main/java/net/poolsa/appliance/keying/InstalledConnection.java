package net.poolsa.appliance.keying;

import net.poolsa.appliance.config.ConnectionConfig;
import net.poolsa.esp.sa.SecurityAssociation;

/**
 * The kernel objects of one manually keyed connection: its SA pair and the outbound and inbound
 * policies that name them by reqid.
 */
public record InstalledConnection(ConnectionConfig config, int reqid, SecurityAssociation inbound,
                                  SecurityAssociation outbound, String outboundPolicyId, String inboundPolicyId) {
}
