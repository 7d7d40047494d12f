/**
 * Certificate authentication for IKEv1 Main Mode (RFC 2409 §5.1) and pool ownership for certificate-authenticated
 * peers (RFC 3554 §4), as a self-contained package the exchanges call. Nothing here logs or touches the network:
 * every refusal is an {@link net.poolsa.ike.auth.AuthenticationRefusal} whose reason maps to the notify to send
 * and whose message is the log line; every unusable credential file is a
 * {@link net.poolsa.ike.auth.CredentialException} naming the file.
 *
 * <p>How Main Mode uses it, through {@link net.poolsa.ike.auth.CertificateAuthenticator} (one per connection):
 * <ol>
 *   <li>Configuration: {@link net.poolsa.ike.auth.LocalCredentials#load} (our chain and key, PEM),
 *       {@link net.poolsa.ike.auth.TrustStore#load} (CAs and CRLs), a {@link net.poolsa.ike.auth.PeerValidator}
 *       with the clock and {@link net.poolsa.ike.auth.RevocationPolicy}.</li>
 *   <li>Message 1/2: the SA's Authentication Method is {@code method().authMethod()}
 *       ({@link net.poolsa.ike.auth.SignatureMethod}: 3 RSA, 9/10/11 ECDSA-256/384/521).</li>
 *   <li>Message 3/4: {@code certificateRequests()} as CR payloads.</li>
 *   <li>Message 5/6 out: {@code identification()}, {@code certificates()} and {@code sign(HASH_I or HASH_R)}; the
 *       hash comes from {@link net.poolsa.ike.crypto.Phase1Keys#signatures}.</li>
 *   <li>Message 5/6 in: {@code authenticate(ID, CERTs, negotiated method, hash, SIG)} gives the
 *       {@link net.poolsa.ike.auth.PeerCertificate}, kept with the IKE SA.</li>
 *   <li>Quick Mode and the outer-pool announcement: {@code checkClaim(peer, what, pool)}
 *       ({@link net.poolsa.ike.auth.PoolEntitlement}), after the engine's own bound by the configured pools.</li>
 * </ol>
 * Checked against strongSwan 5.9.8's SIG, CERT and CR payloads (test {@code StrongSwanSignatureTest}) and OpenSSL's
 * files and signature verification ({@code OpenSslCredentialsTest}).
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2409#section-5.1">RFC 2409 §5.1</a>
 * @see <a href="https://www.rfc-editor.org/rfc/rfc4945">RFC 4945</a>
 * @see <a href="https://www.rfc-editor.org/rfc/rfc3554#section-4">RFC 3554 §4</a>
 */
package net.poolsa.ike.auth;
