package net.poolsa.appliance.demo;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;

/**
 * What one end of the SCTP harness ({@code experiment/sctp/sctp_flow.c}) printed: its path and association events,
 * the bytes it delivered to the application per millisecond, the files it completed, usrsctp's counters and how it
 * ended. Times are microseconds since the epoch. Lines this reader does not know are kept in {@link #other()}: the
 * harness is ours, and an unknown line means it changed.
 */
record SctpLog(Long startMicros, Long connectedMicros, List<Event> events, NavigableMap<Long, Long> binsMillis,
               List<Long> filesMicros, Map<String, Long> stats, String endReason, long delivered, long sent,
               List<String> other) {

    /** An association or path event: {@code text} is what follows the time ("paddr 192.0.2.10 ADDR_UNREACHABLE err=0"). */
    record Event(long micros, String text) {
    }

    static SctpLog read(Path log) throws IOException {
        return parse(Files.exists(log) ? Files.readAllLines(log) : List.of());
    }

    static SctpLog parse(List<String> lines) {
        Long start = null;
        Long connected = null;
        List<Event> events = new ArrayList<>();
        NavigableMap<Long, Long> bins = new TreeMap<>();
        List<Long> files = new ArrayList<>();
        Map<String, Long> stats = new LinkedHashMap<>();
        String reason = null;
        long delivered = 0;
        long sent = 0;
        List<String> other = new ArrayList<>();
        for (String line : lines) {
            String[] f = line.trim().split(" ");
            try {
                switch (f[0]) {
                    case "start" -> start = Long.parseLong(f[1]);
                    case "listening", "request", "path" -> other.add(line);
                    case "event" -> {
                        long t = Long.parseLong(f[1]);
                        String text = line.trim().substring(("event " + f[1] + " ").length());
                        if (text.equals("connected")) {
                            connected = t;
                        }
                        events.add(new Event(t, text));
                    }
                    case "bin" -> bins.merge(Long.parseLong(f[1]), Long.parseLong(f[2]), Long::sum);
                    case "file" -> files.add(Long.parseLong(f[1]));
                    case "stat" -> stats.put(f[1], Long.parseLong(f[2]));
                    case "end" -> {
                        for (int i = 2; i < f.length; i++) {
                            String[] kv = f[i].split("=", 2);
                            switch (kv[0]) {
                                case "delivered" -> delivered = Long.parseLong(kv[1]);
                                case "sent" -> sent = Long.parseLong(kv[1]);
                                case "reason" -> reason = kv[1];
                                default -> other.add(line);
                            }
                        }
                    }
                    default -> other.add(line);
                }
            } catch (NumberFormatException | ArrayIndexOutOfBoundsException | StringIndexOutOfBoundsException e) {
                other.add(line);
            }
        }
        return new SctpLog(start, connected, List.copyOf(events), Collections.unmodifiableNavigableMap(bins),
                List.copyOf(files), Collections.unmodifiableMap(stats), reason, delivered, sent, List.copyOf(other));
    }

    /** A usrsctp counter (sctps_*), or -1 when the harness did not print it (it did not end normally). */
    long stat(String name) {
        return stats.getOrDefault(name, -1L);
    }

    /** The events whose text starts with {@code prefix} ("paddr", "assoc"). */
    List<Event> events(String prefix) {
        return events.stream().filter(e -> e.text().startsWith(prefix)).toList();
    }
}
