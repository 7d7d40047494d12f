package net.poolsa.appliance.demo;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What {@code ping -D -O -i INTERVAL} (iputils) printed, and what it says about an outage: when each request
 * was sent, which were answered, the longest time without replies after an event, and the share of the
 * requests sent after it that were answered.
 *
 * <p>Lines read: {@code [EPOCH] N bytes from ADDR: icmp_seq=S ttl=T time=RTT ms} (a reply; the request was
 * sent RTT earlier), {@code [EPOCH] no answer yet for icmp_seq=S} ({@code -O}: printed just before the next
 * request is sent, so S was sent one interval earlier) and the totals line. A request with neither line
 * (for instance the last ones before a deadline) is placed by the interval from the nearest one that has one.
 */
public final class PingLog {
    private static final Pattern REPLY =
            Pattern.compile("^\\[(\\d+\\.\\d+)\\] \\d+ bytes from .*icmp_seq=(\\d+) .*time=(\\d+(?:\\.\\d+)?) ms");
    private static final Pattern NO_ANSWER = Pattern.compile("^\\[(\\d+\\.\\d+)\\] no answer yet for icmp_seq=(\\d+)");
    private static final Pattern TOTALS = Pattern.compile("(\\d+) packets transmitted, (\\d+) received");

    private final double interval;
    /** Reply time (epoch seconds) by sequence number; the first reply counts (a duplicate is not an answer). */
    private final TreeMap<Integer, Double> replies = new TreeMap<>();
    /** Send time (epoch seconds) by sequence number, where a line tells it. */
    private final TreeMap<Integer, Double> sent = new TreeMap<>();
    private long transmitted;
    private long received;

    private PingLog(double interval) {
        this.interval = interval;
    }

    /** Parses a log of {@code ping -D -O -i intervalSeconds}. */
    public static PingLog parse(String text, double intervalSeconds) {
        PingLog p = new PingLog(intervalSeconds);
        for (String l : text.split("\n")) {
            Matcher m = REPLY.matcher(l);
            if (m.find()) {
                int seq = Integer.parseInt(m.group(2));
                double t = Double.parseDouble(m.group(1));
                if (p.replies.putIfAbsent(seq, t) == null) {
                    p.sent.put(seq, t - Double.parseDouble(m.group(3)) / 1000.0);
                }
                continue;
            }
            Matcher n = NO_ANSWER.matcher(l);
            if (n.find()) {
                p.sent.putIfAbsent(Integer.parseInt(n.group(2)), Double.parseDouble(n.group(1)) - intervalSeconds);
                continue;
            }
            Matcher t = TOTALS.matcher(l);
            if (t.find()) {
                p.transmitted = Long.parseLong(t.group(1));
                p.received = Long.parseLong(t.group(2));
            }
        }
        return p;
    }

    public static PingLog read(Path log, double intervalSeconds) throws IOException {
        return parse(Files.readString(log, StandardCharsets.UTF_8), intervalSeconds);
    }

    /** Requests sent, from the totals line (0 if ping did not print it). */
    public long transmitted() {
        return transmitted;
    }

    /** Replies received, from the totals line. */
    public long received() {
        return received;
    }

    /** Reply times (epoch seconds) by sequence number. */
    public Map<Integer, Double> replies() {
        return java.util.Collections.unmodifiableMap(replies);
    }

    /** When request {@code seq} was sent (epoch seconds), or NaN when no line places any request. */
    public double sentAt(int seq) {
        Double exact = sent.get(seq);
        if (exact != null) {
            return exact;
        }
        Map.Entry<Integer, Double> below = sent.floorEntry(seq);
        Map.Entry<Integer, Double> above = sent.ceilingEntry(seq);
        Map.Entry<Integer, Double> near = below == null ? above
                : above == null || seq - below.getKey() <= above.getKey() - seq ? below : above;
        return near == null ? Double.NaN : near.getValue() + (seq - near.getKey()) * interval;
    }

    /** Requests sent at or after {@code t} (epoch seconds) and how many of them were answered. */
    public Share answeredSentAfter(double t) {
        long total = 0;
        long answered = 0;
        for (int seq = 1; seq <= lastRequest(); seq++) {
            if (sentAt(seq) >= t) {
                total++;
                answered += replies.containsKey(seq) ? 1 : 0;
            }
        }
        return new Share(answered, total);
    }

    /**
     * The longest time without replies after {@code t} (epoch seconds): between two consecutive replies, the later
     * one after {@code t} (the first such interval starts at the last reply before {@code t}); or, open, from the
     * last reply to the sending of the last request when that one was never answered.
     */
    public Gap longestGapAfter(double t) {
        List<Double> times = new ArrayList<>(replies.values());
        times.sort(null);
        Gap best = null;
        Double previous = null;
        for (double r : times) {
            if (r > t) {
                double from = previous == null ? t : previous;
                if (best == null || r - from > best.seconds()) {
                    best = new Gap(from, r, true);
                }
            }
            previous = r;
        }
        double from = previous == null ? t : previous;
        int last = lastRequest();
        if (last > 0 && !replies.containsKey(last)) {
            double to = sentAt(last);
            if (to > t && to > from && (best == null || to - from > best.seconds())) {
                best = new Gap(from, to, false);
            }
        }
        return best != null ? best : new Gap(from, Math.max(from, t), false);
    }

    /** The last request sent: from the totals line, or without one (ping stopped early) the last a line names. */
    private int lastRequest() {
        return (int) Math.max(transmitted, sent.isEmpty() ? 0 : sent.lastKey());
    }

    /** {@code answered} of {@code total} requests. */
    public record Share(long answered, long total) {
        public double fraction() {
            return total == 0 ? 0 : (double) answered / total;
        }
    }

    /**
     * A time without replies, from {@code from} to {@code to} (epoch seconds); {@code closed} when a reply
     * ended it, false when it lasted to the last request of the log.
     */
    public record Gap(double from, double to, boolean closed) {
        public double seconds() {
            return to - from;
        }
    }
}
