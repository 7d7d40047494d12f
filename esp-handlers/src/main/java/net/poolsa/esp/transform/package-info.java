/**
 * ESP (RFC 4303) and AH (RFC 4302) as pure transforms of one packet under one SA: {@link
 * net.poolsa.esp.transform.IpsecProcessor} (one per event-loop thread) with {@code EspTransform} and
 * {@code AhTransform}, the per-SA state {@link net.poolsa.esp.transform.SaTransformContext}, RFC 3948 UDP
 * encapsulation ({@link net.poolsa.esp.transform.NatTraversal}), the AH+ESP bundle ({@link
 * net.poolsa.esp.transform.SaBundle}), and allocation-free IP header writers ({@code IpHeaders}). Packets are read
 * through {@link net.poolsa.esp.ip.IpPacketView}, the data plane's one IP parser, decoded once per packet.
 *
 * <p>Pool semantics (the paper's §3): the outer destination of a tunnel packet is an explicit input, chosen by the
 * data path among the SA's remote pool (or the SA's current remote address when null); it is checked against
 * the pool. Inbound, the caller has already found the SA by SPI and checked the outer addresses against its
 * pools; after decapsulation the inner packet is checked against the SA's selectors (RFC 4301 §5.2).
 *
 * <p>Decisions where the RFCs leave room: the AEAD IV is the 64-bit sequence number; CBC IVs come from a
 * per-processor generator of the injectable {@link net.poolsa.esp.crypto.RandomSource} (a DRBG in production); ESP padding is the minimum (no TFC padding sent), received TFC padding after a tunnelled
 * packet is accepted and cut; a plain-ESP packet on a UDP-encapsulated SA is accepted (its ICV decides);
 * transport mode over NAT-T does not rewrite inner TCP/UDP checksums (RFC 3948 §3.1.2 NAT-OA fix-up is not done);
 * AH refuses (UNSUPPORTED) headers whose value at the destination it cannot predict: IPv6 Routing headers and
 * IPv4 source-route options.
 */
package net.poolsa.esp.transform;
