package net.poolsa.esp.sa;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** What status and logs show of an SA's keys: algorithm names and cipher key sizes, an AEAD's salt not counted. */
class SaKeysTest {
    private static String shown(String enc, int encLen, String integ, int intLen) {
        return new SaKeys(enc, new byte[encLen], integ, new byte[intLen]).toString();
    }

    @Test
    void keySizesLeaveTheSaltOut() {
        // RFC 4106 §8.1 / RFC 7634 §2: the last 4 bytes of AEAD key material are the nonce salt, not key.
        assertEquals("aes-gcm-16/128 none/0", shown("aes-gcm-16", 20, "none", 0));
        assertEquals("aes-gcm-16/192 none/0", shown("aes-gcm-16", 28, "none", 0));
        assertEquals("aes-gcm-16/256 none/0", shown("aes-gcm-16", 36, "none", 0));
        assertEquals("chacha20-poly1305/256 none/0", shown("chacha20-poly1305", 36, "none", 0));
        assertEquals("aes-cbc/128 hmac-sha2-256-128/256", shown("aes-cbc", 16, "hmac-sha2-256-128", 32));
        assertEquals("3des-cbc/192 hmac-sha1-96/160", shown("3des-cbc", 24, "hmac-sha1-96", 20));
        assertEquals("none/0 hmac-sha2-512-256/512", shown("none", 0, "hmac-sha2-512-256", 64));
        // A name the table does not know is shown as given, every byte counted.
        assertEquals("rot13/40 none/0", shown("rot13", 5, "none", 0));
    }
}
