/**
 * What a running poolsa keeps on disk between runs (the state directory, {@code poolsa run --state-dir},
 * {@code /var/lib/poolsa} by default): the sequence-number high-water marks and anti-replay window tops of
 * manually keyed SAs, so that a restart, a crash or a reload never sends a sequence number twice under one key
 * (RFC 4303 §3.3.3) and the peer's anti-replay window keeps accepting our packets.
 */
package net.poolsa.appliance.state;
