/*
 * Contract: draws a {@link Figure} with JFreeChart (headless: java.awt.headless is set to true before any AWT class
 * is touched, unless the caller already chose) and encodes it as PNG. The style follows train.MetricsPlot (the
 * training.png of `mflow train`): white background, light-grey grid lines, 1.2 px lines, JFreeChart's default
 * title font; fonts are enlarged (axis labels 15 pt, ticks 13 pt, legend and caption 13 pt) so a figure stays
 * legible when a browser scales it to a column. Series take colours in order from a fixed palette (blue, red,
 * green, orange, purple, ...), counted across the panels of a figure; markers are dashed lines (horizontal: black,
 * e.g. exact values; vertical: dark grey, e.g. the autocorrelation window) with their label drawn next to them.
 * Axis ranges are computed here from the finite data AND the markers (so an exact value off the data is still
 * shown), with a 4% margin (multiplicative on log axes, where only positive values count), unless the panel
 * fixes them. Non-finite y values leave gaps in lines and are skipped elsewhere. The caption is drawn under the
 * plot, wrapped to the image width.
 */
package org.mflowhpc.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.geom.Ellipse2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;

import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.NumberTickUnit;
import org.jfree.chart.axis.SymbolAxis;
import org.jfree.chart.axis.ValueAxis;
import org.jfree.chart.block.BlockBorder;
import org.jfree.chart.plot.CombinedDomainXYPlot;
import org.jfree.chart.plot.CombinedRangeXYPlot;
import org.jfree.chart.plot.DatasetRenderingOrder;
import org.jfree.chart.plot.ValueMarker;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.DeviationRenderer;
import org.jfree.chart.renderer.xy.StandardXYBarPainter;
import org.jfree.chart.renderer.xy.XYBarRenderer;
import org.jfree.chart.renderer.xy.XYErrorRenderer;
import org.jfree.chart.renderer.xy.XYItemRenderer;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.title.LegendTitle;
import org.jfree.chart.title.TextTitle;
import org.jfree.chart.ui.RectangleAnchor;
import org.jfree.chart.ui.RectangleEdge;
import org.jfree.chart.ui.RectangleInsets;
import org.jfree.chart.ui.TextAnchor;
import org.jfree.data.xy.XYDataset;
import org.jfree.data.xy.XYIntervalSeries;
import org.jfree.data.xy.XYIntervalSeriesCollection;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;
import org.jfree.data.xy.YIntervalSeries;
import org.jfree.data.xy.YIntervalSeriesCollection;

/** JFreeChart rendering of report figures (static). */
public final class Charts {
    static {
        if (System.getProperty("java.awt.headless") == null) System.setProperty("java.awt.headless", "true");
    }

    private Charts() {}

    /** Series colours in order (the "tab10" palette). */
    static final Color[] PALETTE = {new Color(31, 119, 180), new Color(214, 39, 40), new Color(44, 160, 44), new Color(255, 127, 14),
            new Color(148, 103, 189), new Color(140, 86, 75), new Color(227, 119, 194), new Color(127, 127, 127),
            new Color(188, 189, 34), new Color(23, 190, 207)};
    private static final Font LABEL = new Font("SansSerif", Font.PLAIN, 15), TICK = new Font("SansSerif", Font.PLAIN, 13),
            SMALL = new Font("SansSerif", Font.PLAIN, 13);
    private static final BasicStroke DASH = new BasicStroke(1.4f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {7f, 5f}, 0f);

    /** The figure as a JFreeChart. */
    public static JFreeChart chart(Figure f) {
        if (f.panels.isEmpty()) throw new IllegalArgumentException("figure " + f.id + " has no panels");
        int[] colour = {0};
        org.jfree.chart.plot.Plot plot;
        XYPlot legendSource = null;
        switch (f.layout) {
            case SINGLE: {
                Figure.Panel p = f.panels.get(0);
                plot = xyPlot(p, xAxis(p), yAxis(p), colour);
                break;
            }
            case STACKED: {
                Figure.Panel p0 = f.panels.get(0);
                ValueAxis x = xAxis(p0);
                double[] r = range(f, true);
                if (r != null) x.setRange(r[0], r[1]);
                CombinedDomainXYPlot c = new CombinedDomainXYPlot(x);
                c.setGap(8);
                for (Figure.Panel p : f.panels) {
                    colour[0] = 0; // the same quantity in every panel: the same colours; the legend shows the first panel
                    XYPlot sub = xyPlot(p, null, yAxis(p), colour);
                    c.add(sub, p.weight);
                    if (legendSource == null) legendSource = sub;
                }
                plot = c;
                break;
            }
            default: {
                Figure.Panel p0 = f.panels.get(0);
                ValueAxis y = yAxis(p0);
                double[] r = range(f, false);
                if (r != null) y.setRange(r[0], r[1]);
                CombinedRangeXYPlot c = new CombinedRangeXYPlot(y);
                c.setGap(10);
                for (Figure.Panel p : f.panels) c.add(xyPlot(p, xAxis(p), null, colour), p.weight);
                plot = c;
            }
        }
        JFreeChart ch = new JFreeChart(f.title, JFreeChart.DEFAULT_TITLE_FONT, plot, true);
        ch.setBackgroundPaint(Color.WHITE);
        LegendTitle lg = ch.getLegend();
        if (legendSource != null) lg.setSources(new org.jfree.chart.LegendItemSource[] {legendSource});
        lg.setItemFont(SMALL);
        lg.setFrame(BlockBorder.NONE);
        lg.setPosition(RectangleEdge.TOP);
        if (f.caption != null && !f.caption.isBlank()) {
            TextTitle cap = new TextTitle(f.caption, SMALL);
            cap.setPosition(RectangleEdge.BOTTOM);
            cap.setPaint(Color.DARK_GRAY);
            cap.setPadding(new RectangleInsets(6, 10, 4, 10));
            ch.addSubtitle(cap);
        }
        return ch;
    }

    /** The figure drawn at its size (opaque RGB). */
    public static BufferedImage image(Figure f) {
        return chart(f).createBufferedImage(f.width, f.height, BufferedImage.TYPE_INT_RGB, null);
    }

    /** PNG bytes of the figure (RGB, fast deflate: a few times quicker than the default level, files ~20% larger). */
    public static byte[] png(Figure f) {
        BufferedImage img = image(f);
        try (ByteArrayOutputStream out = new ByteArrayOutputStream(); ImageOutputStream ios = ImageIO.createImageOutputStream(out)) {
            ImageWriter w = ImageIO.getImageWritersByFormatName("png").next();
            ImageWriteParam p = w.getDefaultWriteParam();
            if (p.canWriteCompressed()) {
                p.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
                p.setCompressionQuality(0.75f);
            }
            w.setOutput(ios);
            w.write(null, new IIOImage(img, null, null), p);
            w.dispose();
            ios.flush();
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static ValueAxis xAxis(Figure.Panel p) {
        ValueAxis a;
        if (p.xSymbols != null) {
            SymbolAxis sa = new SymbolAxis(p.xLabel, p.xSymbols);
            sa.setLabelFont(LABEL);
            sa.setTickLabelFont(TICK);
            sa.setGridBandsVisible(false);
            a = sa;
        } else a = axis(p.xLabel, p.logX);
        double[] r = panelRange(p, true);
        if (r != null) a.setRange(r[0], r[1]);
        return a;
    }

    private static ValueAxis yAxis(Figure.Panel p) {
        ValueAxis a = axis(p.yLabel, p.logY);
        if (p.integerY && a instanceof NumberAxis na) na.setStandardTickUnits(NumberAxis.createIntegerTickUnits());
        double[] r = panelRange(p, false);
        if (r != null) a.setRange(r[0], r[1]);
        return a;
    }

    private static ValueAxis axis(String label, boolean log) {
        ValueAxis a;
        if (log) {
            LogAxis l = new LogAxis(label);
            l.setBase(10);
            l.setSmallestValue(1e-300);
            l.setTickUnit(new NumberTickUnit(1.0)); // one tick per decade (the unit is in log10 space)
            l.setNumberFormatOverride(new PlainNumberFormat());
            l.setMinorTickCount(9);
            l.setMinorTickMarksVisible(true);
            a = l;
        } else {
            NumberAxis n = new NumberAxis(label);
            n.setAutoRangeIncludesZero(false);
            a = n;
        }
        a.setLabelFont(LABEL);
        a.setTickLabelFont(TICK);
        return a;
    }

    /** Decade tick labels as plain numbers: 1, 10, 1000, 0.01; scientific (1E-6, 1E7) beyond. */
    static final class PlainNumberFormat extends java.text.NumberFormat {
        private static final long serialVersionUID = 1L;
        @Override public StringBuffer format(double v, StringBuffer b, java.text.FieldPosition pos) {
            double a = Math.abs(v);
            if (a == 0 || (a >= 1e-4 && a < 1e6)) return b.append(new java.text.DecimalFormat("#,##0.####", java.text.DecimalFormatSymbols.getInstance(java.util.Locale.ROOT)).format(v));
            return b.append(new java.text.DecimalFormat("0.##E0", java.text.DecimalFormatSymbols.getInstance(java.util.Locale.ROOT)).format(v));
        }
        @Override public StringBuffer format(long v, StringBuffer b, java.text.FieldPosition pos) { return format((double) v, b, pos); }
        @Override public Number parse(String s, java.text.ParsePosition pos) { throw new UnsupportedOperationException(); }
    }

    /** Shared-axis range over all panels (x for STACKED, y for SIDE_BY_SIDE). */
    private static double[] range(Figure f, boolean x) {
        double lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY;
        boolean log = x ? f.panels.get(0).logX : f.panels.get(0).logY;
        for (Figure.Panel p : f.panels) {
            double[] r = rawRange(p, x, log);
            if (r == null) continue;
            lo = Math.min(lo, r[0]);
            hi = Math.max(hi, r[1]);
        }
        Figure.Panel p0 = f.panels.get(0);
        Double fl = x ? p0.xMin : p0.yMin, fh = x ? p0.xMax : p0.yMax;
        return pad(lo, hi, log, fl, fh);
    }

    private static double[] panelRange(Figure.Panel p, boolean x) {
        boolean log = x ? p.logX : p.logY;
        double[] r = rawRange(p, x, log);
        Double fl = x ? p.xMin : p.yMin, fh = x ? p.xMax : p.yMax;
        return pad(r == null ? Double.POSITIVE_INFINITY : r[0], r == null ? Double.NEGATIVE_INFINITY : r[1], log, fl, fh);
    }

    private static double[] pad(double lo, double hi, boolean log, Double fl, Double fh) {
        if (fl != null && fh != null) return new double[] {fl, fh};
        if (!(lo <= hi)) return null;
        if (log) {
            double l = Math.log10(lo), h = Math.log10(hi), m = h > l ? 0.04 * (h - l) : 0.5;
            lo = Math.pow(10, l - m);
            hi = Math.pow(10, h + m);
        } else {
            double m = hi > lo ? 0.04 * (hi - lo) : Math.max(Math.abs(lo) * 0.05, 0.5);
            lo -= m;
            hi += m;
        }
        if (fl != null) lo = fl;
        if (fh != null) hi = fh;
        return lo < hi ? new double[] {lo, hi} : null;
    }

    /** Min and max of the finite data (and markers) along x or y; positive values only on a log axis. */
    private static double[] rawRange(Figure.Panel p, boolean x, boolean log) {
        double lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY;
        for (Figure.Series s : p.series) {
            double[][] cols;
            if (x) cols = s.style() == Figure.Style.BARS ? new double[][] {s.lo(), s.hi()} : new double[][] {s.x()};
            else cols = s.style() == Figure.Style.BAND || s.style() == Figure.Style.ERRORS ? new double[][] {s.y(), s.lo(), s.hi()} : new double[][] {s.y()};
            for (int i = 0; i < s.x().length; i++) {
                if (!Double.isFinite(s.y()[i]) || (!x && s.style() == Figure.Style.BARS && log && s.y()[i] <= 0)) continue;
                for (double[] c : cols) {
                    double v = c[i];
                    if (!Double.isFinite(v) || (log && v <= 0)) continue;
                    lo = Math.min(lo, v);
                    hi = Math.max(hi, v);
                }
            }
            if (!x && s.style() == Figure.Style.BARS && !log && s.x().length > 0) { lo = Math.min(lo, 0); }
        }
        for (Figure.Marker m : p.markers) {
            if (m.vertical() != x || !Double.isFinite(m.value()) || (log && m.value() <= 0)) continue;
            lo = Math.min(lo, m.value());
            hi = Math.max(hi, m.value());
        }
        return lo <= hi ? new double[] {lo, hi} : null;
    }

    private static XYPlot xyPlot(Figure.Panel p, ValueAxis x, ValueAxis y, int[] colour) {
        XYPlot xp = new XYPlot();
        if (x != null) xp.setDomainAxis(x);
        if (y != null) xp.setRangeAxis(y);
        xp.setBackgroundPaint(Color.WHITE);
        xp.setDomainGridlinePaint(Color.LIGHT_GRAY);
        xp.setRangeGridlinePaint(Color.LIGHT_GRAY);
        xp.setOutlinePaint(Color.GRAY);
        xp.setDatasetRenderingOrder(DatasetRenderingOrder.FORWARD);
        for (int i = 0; i < p.series.size(); i++) {
            Figure.Series s = p.series.get(i);
            Color c = s.style() == Figure.Style.DASHED ? Color.DARK_GRAY : PALETTE[colour[0]++ % PALETTE.length];
            xp.setDataset(i, dataset(s, p.logY));
            xp.setRenderer(i, renderer(s, c));
        }
        for (Figure.Marker m : p.markers) {
            ValueMarker vm = new ValueMarker(m.value());
            vm.setPaint(m.vertical() ? Color.DARK_GRAY : Color.BLACK);
            vm.setStroke(DASH);
            vm.setLabel(m.label());
            vm.setLabelFont(SMALL);
            vm.setLabelPaint(Color.BLACK);
            vm.setLabelBackgroundColor(new Color(255, 255, 255, 200));
            if (m.vertical()) {
                vm.setLabelAnchor(RectangleAnchor.TOP_RIGHT);
                vm.setLabelTextAnchor(TextAnchor.TOP_LEFT);
                vm.setLabelOffset(new RectangleInsets(4, 4, 4, 4));
                xp.addDomainMarker(vm);
            } else {
                vm.setLabelAnchor(RectangleAnchor.TOP_RIGHT);
                vm.setLabelTextAnchor(TextAnchor.BOTTOM_RIGHT);
                vm.setLabelOffset(new RectangleInsets(2, 4, 2, 6));
                xp.addRangeMarker(vm);
            }
        }
        return xp;
    }

    private static XYDataset dataset(Figure.Series s, boolean logY) {
        double[] x = s.x(), y = s.y();
        switch (s.style()) {
            case BAND: case ERRORS: {
                YIntervalSeries ys = new YIntervalSeries(s.name(), false, true);
                for (int i = 0; i < x.length; i++)
                    if (Double.isFinite(x[i]) && Double.isFinite(y[i]) && Double.isFinite(s.lo()[i]) && Double.isFinite(s.hi()[i]))
                        ys.add(new org.jfree.data.xy.YIntervalDataItem(x[i], y[i], s.lo()[i], s.hi()[i]), false);
                YIntervalSeriesCollection c = new YIntervalSeriesCollection();
                c.addSeries(ys);
                return c;
            }
            case BARS: {
                XYIntervalSeries xs = new XYIntervalSeries(s.name(), false, true);
                double base = 0;
                if (logY) {
                    double mn = Double.POSITIVE_INFINITY;
                    for (double v : y) if (v > 0 && Double.isFinite(v)) mn = Math.min(mn, v);
                    base = Double.isFinite(mn) ? 0.5 * mn : 0.5;
                }
                for (int i = 0; i < x.length; i++) {
                    if (!Double.isFinite(y[i]) || (logY && y[i] <= 0)) continue;
                    xs.add(x[i], s.lo()[i], s.hi()[i], y[i], base, y[i]);
                }
                XYIntervalSeriesCollection c = new XYIntervalSeriesCollection();
                c.addSeries(xs);
                return c;
            }
            default: {
                XYSeries xs = new XYSeries(s.name(), false, true);
                boolean line = s.style() == Figure.Style.LINE || s.style() == Figure.Style.DASHED;
                for (int i = 0; i < x.length; i++) {
                    if (!Double.isFinite(x[i])) continue;
                    boolean ok = Double.isFinite(y[i]) && !(logY && y[i] <= 0);
                    if (ok) xs.add(x[i], y[i], false);
                    else if (line) xs.add(x[i], null, false);
                }
                XYSeriesCollection c = new XYSeriesCollection();
                c.addSeries(xs);
                return c;
            }
        }
    }

    private static XYItemRenderer renderer(Figure.Series s, Color c) {
        int n = s.x().length;
        switch (s.style()) {
            case BAND: {
                DeviationRenderer r = new DeviationRenderer(true, false);
                r.setSeriesPaint(0, c);
                r.setSeriesFillPaint(0, c);
                r.setSeriesStroke(0, new BasicStroke(1.6f));
                r.setAlpha(0.22f);
                return r;
            }
            case ERRORS: {
                XYErrorRenderer r = new XYErrorRenderer();
                r.setDrawXError(false);
                r.setDefaultLinesVisible(false);
                r.setDefaultShapesVisible(true);
                r.setSeriesPaint(0, c);
                r.setErrorPaint(c);
                r.setErrorStroke(new BasicStroke(1.4f));
                r.setCapLength(6);
                r.setSeriesShape(0, new Ellipse2D.Double(-4, -4, 8, 8));
                return r;
            }
            case BARS: {
                XYBarRenderer r = new XYBarRenderer();
                r.setUseYInterval(true);
                r.setBarPainter(new StandardXYBarPainter());
                r.setShadowVisible(false);
                r.setDrawBarOutline(true);
                r.setSeriesPaint(0, c);
                r.setSeriesOutlinePaint(0, c.darker());
                return r;
            }
            case POINTS: {
                XYLineAndShapeRenderer r = new XYLineAndShapeRenderer(false, true);
                double d = n > 2000 ? 2.5 : 4.5;
                r.setSeriesShape(0, new Ellipse2D.Double(-d / 2, -d / 2, d, d));
                r.setSeriesPaint(0, c);
                return r;
            }
            case DASHED: {
                XYLineAndShapeRenderer r = new XYLineAndShapeRenderer(true, false);
                r.setSeriesPaint(0, c);
                r.setSeriesStroke(0, DASH);
                return r;
            }
            default: {
                XYLineAndShapeRenderer r = new XYLineAndShapeRenderer(true, false);
                r.setSeriesPaint(0, c);
                r.setSeriesStroke(0, new BasicStroke(n > 3000 ? 0.7f : n > 600 ? 1.0f : 1.2f));
                return r;
            }
        }
    }
}
