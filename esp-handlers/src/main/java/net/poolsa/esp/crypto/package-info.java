/**
 * The cryptographic cores of ESP and AH on the JDK provider (SunJCE, which uses AES-NI): {@link
 * net.poolsa.esp.crypto.AeadCipher} (AES-GCM-16 RFC 4106, ChaCha20-Poly1305 RFC 7634), {@link
 * net.poolsa.esp.crypto.CbcHmacCipher} (AES-CBC RFC 3602, 3DES-CBC RFC 2451, DES-CBC RFC 2405 behind {@link
 * net.poolsa.esp.crypto.LegacyAlgorithms}, NULL RFC 2410, with or without HMAC), {@link
 * net.poolsa.esp.crypto.IntegrityMac} (HMAC-SHA1-96 RFC 2404, HMAC-SHA2 RFC 4868). The algorithm names are those of
 * {@link net.poolsa.esp.crypto.EspAlgorithm} and {@link net.poolsa.esp.crypto.IntegrityAlgorithm}.
 */
package net.poolsa.esp.crypto;
