package io.vpcipam.ipamd.simulate;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * The sweep as a picture: one self-contained SVG (no script, no fonts or libraries from the net) with two panels.
 * Left, the trade-off: idle addresses (waste) across, p99 time-to-IP up, one circle per setting with its area
 * proportional to its cloud calls, the Pareto front joined by a line and filled. Right, idle addresses over time for
 * each setting, so a person sees when the waste is paid.
 */
final class Chart {

    private static final int W = 1100;
    private static final int H = 560;
    private static final String[] COLOURS = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf",
            "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22"};

    private Chart() {
    }

    static String svg(List<Sweep.Point> points, String title) {
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                + "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">%n", W, H, W, H));
        b.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        text(b, W / 2.0, 24, "middle", 16, "bold", title);
        tradeOff(b, points, 70, 60, 440, 380);
        overTime(b, points, 630, 60, 440, 380);
        b.append("</svg>\n");
        return b.toString();
    }

    private static void tradeOff(StringBuilder b, List<Sweep.Point> points, double x0, double y0, double w, double h) {
        double maxIdle = niceMax(points.stream().mapToDouble(p -> p.result().idleMean()).max().orElse(1) * 1.1);
        double maxP99 = niceMax(points.stream().mapToDouble(p -> p.result().p99().toNanos() / 1e6).max().orElse(1)
                * 1.15);
        double maxCalls = points.stream().mapToDouble(p -> p.result().totalCalls()).max().orElse(1);
        axes(b, x0, y0, w, h, 0, maxIdle, 0, maxP99, "idle addresses, fleet mean (waste)", "p99 time-to-IP (ms)");
        text(b, x0 + w / 2, y0 - 8, "middle", 13, "bold", "waste vs p99 time-to-IP (circle area: cloud calls)");
        List<Sweep.Point> front = new ArrayList<>(points.stream().filter(Sweep.Point::pareto).toList());
        front.sort(Comparator.comparingDouble(p -> p.result().idleMean()));
        if (front.size() > 1) {
            StringBuilder path = new StringBuilder();
            for (Sweep.Point p : front) {
                path.append(path.isEmpty() ? "M" : " L").append(fmt(x(p, x0, w, maxIdle))).append(',')
                        .append(fmt(y(p, y0, h, maxP99)));
            }
            b.append("<path d=\"").append(path).append("\" fill=\"none\" stroke=\"#444\" stroke-dasharray=\"4 3\"/>\n");
        }
        for (int i = 0; i < points.size(); i++) {
            Sweep.Point p = points.get(i);
            double cx = x(p, x0, w, maxIdle);
            double cy = y(p, y0, h, maxP99);
            double r = 4 + 14 * Math.sqrt(p.result().totalCalls() / Math.max(1, maxCalls));
            String colour = COLOURS[i % COLOURS.length];
            b.append(String.format(Locale.ROOT, "<circle cx=\"%s\" cy=\"%s\" r=\"%s\" fill=\"%s\" fill-opacity=\"%s\" "
                            + "stroke=\"%s\" stroke-width=\"1.5\"><title>%s: idle %,.0f, p99 %s, %,d calls (%,d throttled)"
                            + "</title></circle>%n", fmt(cx), fmt(cy), fmt(r), colour, p.pareto() ? "0.55" : "0.08",
                    colour, esc(p.label()), p.result().idleMean(), Report.ms(p.result().p99()),
                    p.result().totalCalls(), p.result().totalThrottled()));
            text(b, cx + r + 3, cy + 4, "start", 11, "normal", p.label().replaceAll("[A-Z_]+=", "")
                    + (p.pareto() ? " *" : ""));
        }
    }

    private static void overTime(StringBuilder b, List<Sweep.Point> points, double x0, double y0, double w, double h) {
        double maxT = points.stream().mapToDouble(p -> last(p.result().sampleSeconds())).max().orElse(1);
        double maxIdle = niceMax(points.stream().flatMapToDouble(p -> java.util.Arrays.stream(p.result().idleSeries()))
                .max().orElse(1) * 1.05);
        axes(b, x0, y0, w, h, 0, maxT / 60, 0, maxIdle, "minutes", "idle addresses, fleet");
        text(b, x0 + w / 2, y0 - 8, "middle", 13, "bold", "idle addresses over time");
        for (int i = 0; i < points.size(); i++) {
            Result r = points.get(i).result();
            StringBuilder path = new StringBuilder();
            double[] t = r.sampleSeconds();
            double[] v = r.idleSeries();
            for (int k = 0; k < t.length; k++) {
                double px = x0 + w * (t[k] / Math.max(1, maxT));
                double py = y0 + h - h * (v[k] / maxIdle);
                path.append(k == 0 ? "M" : " L").append(fmt(px)).append(',').append(fmt(py));
            }
            String colour = COLOURS[i % COLOURS.length];
            b.append("<path d=\"").append(path).append("\" fill=\"none\" stroke=\"").append(colour)
                    .append("\" stroke-width=\"1.5\"/>\n");
            // the legend goes under the panel, three to a row, clear of the lines
            double lx = x0 + (i % 3) * (w / 3);
            double ly = y0 + h + 58 + 15 * (i / 3);
            b.append(String.format(Locale.ROOT, "<rect x=\"%s\" y=\"%s\" width=\"12\" height=\"3\" fill=\"%s\"/>%n",
                    fmt(lx), fmt(ly - 4), colour));
            text(b, lx + 16, ly, "start", 11, "normal", points.get(i).label());
        }
    }

    private static void axes(StringBuilder b, double x0, double y0, double w, double h, double xMin, double xMax,
                             double yMin, double yMax, String xLabel, String yLabel) {
        b.append(String.format(Locale.ROOT, "<rect x=\"%s\" y=\"%s\" width=\"%s\" height=\"%s\" fill=\"none\" "
                + "stroke=\"#888\"/>%n", fmt(x0), fmt(y0), fmt(w), fmt(h)));
        for (int i = 0; i <= 5; i++) {
            double fx = xMin + (xMax - xMin) * i / 5;
            double px = x0 + w * i / 5;
            b.append(String.format(Locale.ROOT, "<line x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\" stroke=\"#eee\"/>%n",
                    fmt(px), fmt(y0), fmt(px), fmt(y0 + h)));
            text(b, px, y0 + h + 16, "middle", 11, "normal", tick(fx));
            double fy = yMin + (yMax - yMin) * i / 5;
            double py = y0 + h - h * i / 5;
            b.append(String.format(Locale.ROOT, "<line x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\" stroke=\"#eee\"/>%n",
                    fmt(x0), fmt(py), fmt(x0 + w), fmt(py)));
            text(b, x0 - 6, py + 4, "end", 11, "normal", tick(fy));
        }
        text(b, x0 + w / 2, y0 + h + 36, "middle", 12, "normal", xLabel);
        b.append(String.format(Locale.ROOT, "<text x=\"%s\" y=\"%s\" text-anchor=\"middle\" font-size=\"12\" "
                + "transform=\"rotate(-90 %s %s)\">%s</text>%n", fmt(x0 - 50), fmt(y0 + h / 2), fmt(x0 - 50),
                fmt(y0 + h / 2), esc(yLabel)));
    }

    private static double x(Sweep.Point p, double x0, double w, double max) {
        return x0 + w * (p.result().idleMean() / max);
    }

    private static double y(Sweep.Point p, double y0, double h, double max) {
        return y0 + h - h * (p.result().p99().toNanos() / 1e6 / max);
    }

    /** The axis end: 1, 2 or 5 times a power of ten, at or above {@code v}, so five ticks are round numbers. */
    static double niceMax(double v) {
        if (!(v > 0)) {
            return 1;
        }
        double step = Math.pow(10, Math.floor(Math.log10(v / 5)));
        for (double m : new double[] {1, 2, 2.5, 5, 10}) {
            if (m * step * 5 >= v) {
                return m * step * 5;
            }
        }
        return 10 * step * 5;
    }

    private static double last(double[] a) {
        return a.length == 0 ? 0 : a[a.length - 1];
    }

    private static String tick(double v) {
        if (v >= 10_000) {
            return String.format(Locale.ROOT, "%.0fk", v / 1000);
        }
        return v >= 100 || v == Math.rint(v) ? String.format(Locale.ROOT, "%.0f", v)
                : String.format(Locale.ROOT, "%.1f", v);
    }

    private static void text(StringBuilder b, double x, double y, String anchor, int size, String weight, String s) {
        b.append(String.format(Locale.ROOT, "<text x=\"%s\" y=\"%s\" text-anchor=\"%s\" font-size=\"%d\" "
                + "font-weight=\"%s\">%s</text>%n", fmt(x), fmt(y), anchor, size, weight, esc(s)));
    }

    private static String fmt(double d) {
        return String.format(Locale.ROOT, "%.1f", d);
    }

    private static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
