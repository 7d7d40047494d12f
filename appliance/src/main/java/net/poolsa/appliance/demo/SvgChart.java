package net.poolsa.appliance.demo;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A plain SVG picture of one scenario and direction: per run, the rate the receiver delivered at over time (bytes per
 * {@link #BUCKET_MILLIS} bucket, as MB/s), one panel per run on a shared time axis from the failure, the failure as a
 * red line and each run's data gap shaded. Written by hand: a few dozen elements do not need a chart library.
 */
final class SvgChart {
    static final long BUCKET_MILLIS = 50;
    private static final int WIDTH = 960;
    private static final int LEFT = 190;
    private static final int RIGHT = 20;
    private static final int TOP = 40;
    private static final int PANEL = 80;
    private static final int GAP = 18;
    private static final int BOTTOM = 40;

    private SvgChart() {
    }

    static String render(Summary.Group g, String title) {
        List<RunResult> runs = g.runs().stream().filter(RunResult::ran).toList();
        long from = Long.MAX_VALUE;
        long to = Long.MIN_VALUE;
        double max = 1;
        for (RunResult r : runs) {
            from = Math.min(from, r.startMillis() - r.failureMillis());
            to = Math.max(to, Math.max(r.nominalEndMillis(), r.bins().isEmpty() ? 0 : r.bins().lastKey()) - r.failureMillis());
        }
        if (runs.isEmpty()) {
            from = -1000;
            to = 1000;
        }
        for (RunResult r : runs) {
            for (long v : buckets(r, from, to)) {
                max = Math.max(max, v);
            }
        }
        int height = TOP + runs.size() * (PANEL + GAP) + BOTTOM;
        double plotWidth = WIDTH - LEFT - RIGHT;
        double span = Math.max(1, to - from);
        StringBuilder s = new StringBuilder();
        s.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                + "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">\n", WIDTH, height, WIDTH, height));
        s.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        s.append(text(10, 20, escape(title), "font-size=\"14\" font-weight=\"bold\""));
        double mbps = max * 1000.0 / BUCKET_MILLIS / 1e6;
        int y = TOP;
        for (RunResult r : runs) {
            s.append(text(10, y + 20, escape(r.variant().label), "font-weight=\"bold\""));
            s.append(text(10, y + 38, "gap " + Summary.gap(r), ""));
            s.append(text(10, y + 54, String.format(Locale.ROOT, "%.2f MB delivered", r.deliveredInWindow() / 1e6), ""));
            s.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"#f6f6f6\" "
                    + "stroke=\"#ccc\"/>\n", LEFT, y, plotWidth, PANEL));
            if (r.gap() != null) {
                long gs = r.gap().startMillis() - r.failureMillis();
                long ge = (r.gap().resumed() ? r.gap().endMillis() : r.gap().searchEndMillis()) - r.failureMillis();
                double x0 = LEFT + (gs - from) / span * plotWidth;
                double x1 = LEFT + (Math.min(ge, to) - from) / span * plotWidth;
                s.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" "
                        + "fill=\"#f4b6b6\" opacity=\"0.7\"/>\n", x0, y, Math.max(1, x1 - x0), PANEL));
            }
            long[] b = buckets(r, from, to);
            StringBuilder points = new StringBuilder();
            for (int i = 0; i < b.length; i++) {
                double x = LEFT + (i * BUCKET_MILLIS) / span * plotWidth;
                double x2 = LEFT + Math.min(span, (i + 1) * BUCKET_MILLIS) / span * plotWidth;
                double yy = y + PANEL - (b[i] / max) * (PANEL - 4);
                points.append(String.format(Locale.ROOT, "%.1f,%.1f %.1f,%.1f ", x, yy, x2, yy));
            }
            s.append("<polyline fill=\"none\" stroke=\"#1f5fa8\" stroke-width=\"1.2\" points=\"").append(points.toString().trim())
                    .append("\"/>\n");
            y += PANEL + GAP;
        }
        double xf = LEFT + (0 - from) / span * plotWidth;
        s.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#c00\" "
                + "stroke-width=\"1.5\" stroke-dasharray=\"4 3\"/>\n", xf, TOP - 6, xf, y - GAP + 4));
        s.append(text((int) xf + 4, TOP - 8, "link down", "fill=\"#c00\""));
        for (long t = (long) Math.ceil(from / 1000.0) * 1000; t <= to; t += 1000) {
            double x = LEFT + (t - from) / span * plotWidth;
            s.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#999\"/>\n", x,
                    y - GAP, x, y - GAP + 5));
            s.append(text((int) x - 6, y - GAP + 18, Long.toString(t / 1000), ""));
        }
        s.append(text(LEFT, height - 8, String.format(Locale.ROOT, "seconds from the failure; each panel's height is "
                + "%.2f MB/s (bytes delivered per %d ms)", mbps, BUCKET_MILLIS), "fill=\"#555\""));
        s.append("</svg>\n");
        return s.toString();
    }

    /** Delivered bytes per bucket from {@code from} to {@code to} (milliseconds from the failure). */
    private static long[] buckets(RunResult r, long from, long to) {
        int n = (int) Math.max(1, (to - from + BUCKET_MILLIS - 1) / BUCKET_MILLIS);
        long[] b = new long[n];
        for (Map.Entry<Long, Long> e : r.bins().entrySet()) {
            long t = e.getKey() - r.failureMillis() - from;
            if (t >= 0 && t / BUCKET_MILLIS < n) {
                b[(int) (t / BUCKET_MILLIS)] += e.getValue();
            }
        }
        return b;
    }

    private static String text(int x, int y, String body, String attributes) {
        return "<text x=\"" + x + "\" y=\"" + y + "\" " + attributes + ">" + body + "</text>\n";
    }

    static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
