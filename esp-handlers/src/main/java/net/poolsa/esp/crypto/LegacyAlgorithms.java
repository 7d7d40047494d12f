package net.poolsa.esp.crypto;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The explicit switch for broken algorithms that the data plane can still speak: single DES-CBC
 * (RFC 2405), which the paper's measurements used. Off by default; also turned on by the system property
 * {@code poolsa.esp.allowDes=true}. Turning it on logs a warning, because a 56-bit key is brute-forced in hours.
 */
public final class LegacyAlgorithms {
    private static final Logger LOG = LoggerFactory.getLogger(LegacyAlgorithms.class);
    private static volatile boolean desAllowed;

    static {
        if (Boolean.getBoolean("poolsa.esp.allowDes")) {
            allowDes(true);
        }
    }

    private LegacyAlgorithms() {
    }

    public static void allowDes(boolean allowed) {
        if (allowed && !desAllowed) {
            LOG.warn("DES-CBC (RFC 2405) enabled for ESP: 56-bit keys give no real confidentiality; use only to reproduce legacy measurements");
        }
        desAllowed = allowed;
    }

    public static boolean desAllowed() {
        return desAllowed;
    }
}
