package net.poolsa.appliance.lifecycle;

import com.sun.jna.NativeLibrary;

/**
 * Whether libpcap can be loaded the way pcap4j loads it (JNA, library name {@code pcap}, or the path in
 * {@code -Dorg.pcap4j.core.pcapLibName}). Debian's libpcap0.8 is enough: JNA finds {@code libpcap.so.0.8}
 * through the linker cache.
 */
public final class Libpcap {
    public static final String PROPERTY = "org.pcap4j.core.pcapLibName";

    private Libpcap() {
    }

    /** Null when libpcap loads, otherwise why it does not. */
    public static String problem() {
        String name = System.getProperty(PROPERTY, "pcap");
        try {
            NativeLibrary lib = NativeLibrary.getInstance(name);
            lib.getFunction("pcap_lib_version");
            return null;
        } catch (UnsatisfiedLinkError e) {
            return "libpcap cannot be loaded (" + name + "): install the libpcap0.8 package or set -D" + PROPERTY + "=PATH";
        }
    }
}
