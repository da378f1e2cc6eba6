/*
 * Contract: the data of one report figure, independent of how it is drawn. A figure has an id (file stem of its
 * PNG, [a-z0-9-]+), a title, a caption (theory, lattice, beta, sampler/model, sample size: drawn under the plot and
 * printed under the image in the HTML) and one or more panels laid out SINGLE (one panel), STACKED (panels above
 * each other sharing the x axis) or SIDE_BY_SIDE (panels next to each other sharing the y axis). A panel has axis
 * labels (with units or conventions), optional log axes and fixed ranges, series and markers:
 *   LINE     y(x) as a polyline;   POINTS  y(x) as dots;   BAND  a line y(x) with a shaded band [lo(x), hi(x)];
 *   ERRORS   dots with error bars [lo, hi];   BARS  histogram bars over [lo(x), hi(x)] on the x axis, height y;
 *   DASHED   a dashed polyline (reference curves).
 *   Markers are horizontal (value on the y axis) or vertical (value on the x axis) labelled lines (exact values,
 *   windows, chosen points).
 * The very same object is rendered by {@link Charts} and serialised into the report's JSON ({@link #toJson}), so the
 * numbers in the JSON are the numbers that were drawn. Non-finite values are written to JSON as null.
 */
package org.mflowhpc.report;

import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** One figure: panels of series and markers (mutable builder, not thread-safe). */
public final class Figure {
    public enum Layout { SINGLE, STACKED, SIDE_BY_SIDE }
    public enum Style { LINE, POINTS, BAND, ERRORS, BARS, DASHED }

    /** A data series; lo/hi are null except for BAND, ERRORS (y interval) and BARS (x interval: bin edges). */
    public record Series(String name, Style style, double[] x, double[] y, double[] lo, double[] hi) {
        public Series {
            if (x.length != y.length) throw new IllegalArgumentException("series '" + name + "': x and y lengths differ");
            boolean needs = style == Style.BAND || style == Style.ERRORS || style == Style.BARS;
            if (needs && (lo == null || hi == null || lo.length != x.length || hi.length != x.length))
                throw new IllegalArgumentException("series '" + name + "': " + style + " needs lo and hi of the same length");
        }
    }

    /** A labelled straight line: vertical at x = value, or horizontal at y = value. */
    public record Marker(String label, boolean vertical, double value) {}

    /** One plot area. */
    public static final class Panel {
        public final String xLabel, yLabel;
        public boolean logX, logY;
        public Double yMin, yMax, xMin, xMax;
        public final List<Series> series = new ArrayList<>();
        public final List<Marker> markers = new ArrayList<>();
        /** Relative height (STACKED) or width (SIDE_BY_SIDE). */
        public int weight = 1;
        /** Subtitle of the panel in a multi-panel figure (e.g. the ensemble), shown in the legend. */
        public String note;
        /** Integer ticks on the y axis (e.g. the topological charge). */
        public boolean integerY;
        /** Tick labels of a categorical x axis at x = 0, 1, ... (e.g. doubling layers), or null. */
        public String[] xSymbols;

        public Panel(String xLabel, String yLabel) { this.xLabel = xLabel; this.yLabel = yLabel; }

        public Panel add(Series s) { series.add(s); return this; }
        public Panel line(String name, double[] x, double[] y) { return add(new Series(name, Style.LINE, x, y, null, null)); }
        public Panel dashed(String name, double[] x, double[] y) { return add(new Series(name, Style.DASHED, x, y, null, null)); }
        public Panel points(String name, double[] x, double[] y) { return add(new Series(name, Style.POINTS, x, y, null, null)); }
        public Panel band(String name, double[] x, double[] y, double[] lo, double[] hi) { return add(new Series(name, Style.BAND, x, y, lo, hi)); }
        public Panel errors(String name, double[] x, double[] y, double[] lo, double[] hi) { return add(new Series(name, Style.ERRORS, x, y, lo, hi)); }
        public Panel bars(String name, double[] lo, double[] hi, double[] y) {
            double[] c = new double[lo.length];
            for (int i = 0; i < c.length; i++) c[i] = 0.5 * (lo[i] + hi[i]);
            return add(new Series(name, Style.BARS, c, y, lo, hi));
        }
        public Panel hmark(String label, double y) { markers.add(new Marker(label, false, y)); return this; }
        public Panel vmark(String label, double x) { markers.add(new Marker(label, true, x)); return this; }
        public Panel yRange(double lo, double hi) { yMin = lo; yMax = hi; return this; }
    }

    public final String id, title;
    public String caption;
    public final Layout layout;
    public final List<Panel> panels = new ArrayList<>();
    public int width = 1000, height = 600;

    public Figure(String id, String title, String caption, Layout layout) {
        if (!id.matches("[a-z0-9][a-z0-9-]*")) throw new IllegalArgumentException("bad figure id '" + id + "'");
        this.id = id; this.title = title; this.caption = caption; this.layout = layout;
    }

    /** A one-panel figure. */
    public static Figure single(String id, String title, String caption, Panel p) {
        Figure f = new Figure(id, title, caption, Layout.SINGLE);
        f.panels.add(p);
        return f;
    }

    public Figure add(Panel p) { panels.add(p); return this; }

    public Figure size(int w, int h) { width = w; height = h; return this; }

    /** The figure as JSON: id, title, caption, layout, png (file name given), panels with their series and markers. */
    public ObjectNode toJson(String png) {
        JsonNodeFactory f = JsonNodeFactory.instance;
        ObjectNode o = f.objectNode();
        o.put("id", id);
        o.put("title", title);
        o.put("caption", caption);
        o.put("layout", layout.name().toLowerCase());
        if (png != null) o.put("png", png);
        ArrayNode ps = o.putArray("panels");
        for (Panel p : panels) {
            ObjectNode pn = ps.addObject();
            pn.put("x_label", p.xLabel);
            pn.put("y_label", p.yLabel);
            pn.put("log_x", p.logX);
            pn.put("log_y", p.logY);
            if (p.integerY) pn.put("integer_y", true);
            if (p.note != null) pn.put("note", p.note);
            if (p.xSymbols != null) { ArrayNode xs = pn.putArray("x_symbols"); for (String x : p.xSymbols) xs.add(x); }
            ArrayNode ss = pn.putArray("series");
            for (Series s : p.series) {
                ObjectNode sn = ss.addObject();
                sn.put("name", s.name());
                sn.put("style", s.style().name().toLowerCase());
                put(sn, "x", s.x());
                put(sn, "y", s.y());
                if (s.lo() != null) put(sn, s.style() == Style.BARS ? "bin_lo" : "lo", s.lo());
                if (s.hi() != null) put(sn, s.style() == Style.BARS ? "bin_hi" : "hi", s.hi());
            }
            ArrayNode ms = pn.putArray("markers");
            for (Marker m : p.markers) {
                ObjectNode mn = ms.addObject();
                mn.put("label", m.label());
                mn.put("axis", m.vertical() ? "x" : "y");
                num(mn, "value", m.value());
            }
        }
        return o;
    }

    static void put(ObjectNode o, String k, double[] v) {
        ArrayNode a = o.putArray(k);
        for (double d : v) { if (Double.isFinite(d)) a.add(d); else a.addNull(); }
    }

    static void num(ObjectNode o, String k, double v) {
        if (Double.isFinite(v)) o.put(k, v); else o.putNull(k);
    }
}
