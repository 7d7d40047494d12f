/**
 * IKEv1 cryptography (RFC 2409, RFC 2408, algorithms per RFC 4109): pure functions and small per-SA objects that
 * take and return byte arrays, for the exchanges to glue to the ISAKMP codec. Nothing here logs; key material is
 * zeroed by each object's {@code destroy()}. Not thread-safe: an ISAKMP SA's objects live on the IKE event loop.
 *
 * <p>How an exchange uses it:
 * <ol>
 *   <li>{@link net.poolsa.ike.crypto.IkeRandom}: cookies, nonces, DH private values (injectable for replays).</li>
 *   <li>{@link net.poolsa.ike.crypto.DhGroup#generate} gives the KE payload's data; the peer's KE data goes to
 *       {@link net.poolsa.ike.crypto.DhKeyPair#sharedSecret}, which refuses a value off the group with
 *       INVALID-KEY-INFORMATION.</li>
 *   <li>After Main Mode message 4: {@link net.poolsa.ike.crypto.Phase1Keys#preSharedKey} (or
 *       {@code signatures}) from the {@link net.poolsa.ike.crypto.Phase1Suite} negotiated, the
 *       {@link net.poolsa.ike.crypto.Phase1Values} seen on the wire and g^xy; then wipe g^xy and the DH pair.</li>
 *   <li>{@link net.poolsa.ike.crypto.Phase1Keys#newEncryption()}: the ISAKMP SA's
 *       {@link net.poolsa.ike.crypto.IsakmpEncryption} with its {@link net.poolsa.ike.crypto.IvChain}, for Main
 *       Mode 5 and 6 and every later message. A received message is confirmed only after its HASH verified.</li>
 *   <li>HASH_I/HASH_R and the phase-2 hashes from {@link net.poolsa.ike.crypto.Phase1Keys}, compared with
 *       {@link net.poolsa.ike.crypto.Phase1Keys#verify} (INVALID-HASH-INFORMATION).</li>
 *   <li>After Quick Mode: {@link net.poolsa.ike.crypto.ChildSaKeys#derive} gives the inbound and outbound
 *       {@link net.poolsa.esp.sa.SaKeys} that the data plane installs.</li>
 * </ol>
 * Each value is checked against strongSwan 5.9.8's own (test {@code KeymatVectorTest}).
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2409">RFC 2409</a>
 */
package net.poolsa.ike.crypto;
