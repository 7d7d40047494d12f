package net.poolsa.appliance.lifecycle;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The process's effective Linux capabilities, from the {@code CapEff} line of {@code /proc/self/status}
 * (capabilities(7)). poolsa needs CAP_NET_RAW to capture and emit raw packets and CAP_NET_ADMIN to set up
 * the divert sink and routes; the systemd unit grants both as ambient capabilities to an unprivileged user.
 */
public record Capabilities(long effective) {
    public static final int CAP_NET_BIND_SERVICE = 10;
    public static final int CAP_NET_ADMIN = 12;
    public static final int CAP_NET_RAW = 13;

    public static Capabilities ofCurrentProcess() throws IOException {
        return parse(Files.readString(Path.of("/proc/self/status")));
    }

    /** Parses the text of a {@code /proc/PID/status} file. */
    public static Capabilities parse(String procStatus) {
        for (String line : procStatus.split("\n")) {
            if (line.startsWith("CapEff:")) {
                return new Capabilities(Long.parseUnsignedLong(line.substring(7).trim(), 16));
            }
        }
        throw new IllegalArgumentException("no CapEff line in the process status");
    }

    public boolean has(int capability) {
        return (effective & (1L << capability)) != 0;
    }

    /** Names of the capabilities poolsa needs that this process lacks; empty when it may start. */
    public List<String> missingForDataPath() {
        List<String> missing = new ArrayList<>();
        if (!has(CAP_NET_RAW)) {
            missing.add("CAP_NET_RAW");
        }
        if (!has(CAP_NET_ADMIN)) {
            missing.add("CAP_NET_ADMIN");
        }
        return missing;
    }
}
