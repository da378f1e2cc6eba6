package org.mflowhpc.train;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.CombinedDomainXYPlot;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * Reads a Trainer {@code metrics.jsonl} and writes a PNG (jfreechart, headless): two stacked panels sharing the
 * step axis, reverse-KL loss (top) and batch ESS (bottom, [0, 1]). Skipped (non-finite) steps are omitted.
 */
public final class MetricsPlot {
    private static final ObjectMapper JSON = new ObjectMapper();

    private MetricsPlot() {}

    /** A numeric field of a jsonl line, or null if the line is not an object or lacks it. */
    static Double numberOf(String line, String key) {
        try {
            JsonNode n = JSON.readTree(line);
            return n != null && n.has(key) && n.get(key).isNumber() ? n.get(key).asDouble() : null;
        } catch (IOException e) {
            return null;
        }
    }

    /** The "step" of a metrics line, or null if the line is not a metrics object. */
    static Long stepOf(String line) {
        try {
            JsonNode n = JSON.readTree(line);
            return n != null && n.has("step") ? n.get("step").asLong() : null;
        } catch (IOException e) {
            return null;
        }
    }

    public static void write(Path metrics, Path png, String title) throws IOException {
        if (System.getProperty("java.awt.headless") == null) System.setProperty("java.awt.headless", "true");
        XYSeries loss = new XYSeries("loss"), ess = new XYSeries("ESS");
        for (String line : Files.readAllLines(metrics, StandardCharsets.UTF_8)) {
            JsonNode n;
            try { n = JSON.readTree(line); } catch (IOException e) { continue; }
            if (n == null || !n.has("step") || n.path("skipped").asBoolean(false)) continue;
            long s = n.get("step").asLong();
            if (n.path("loss").isNumber()) loss.add(s, n.get("loss").asDouble());
            if (n.path("ess").isNumber()) ess.add(s, n.get("ess").asDouble());
        }
        NumberAxis stepAxis = new NumberAxis("step");
        CombinedDomainXYPlot plot = new CombinedDomainXYPlot(stepAxis);
        plot.add(panel(loss, "reverse-KL loss  E[log q + S]", Color.BLUE, false), 1);
        plot.add(panel(ess, "ESS / N (batch)", Color.RED, true), 1);
        JFreeChart chart = new JFreeChart(title, JFreeChart.DEFAULT_TITLE_FONT, plot, false);
        chart.setBackgroundPaint(Color.WHITE);
        Path tmp = png.resolveSibling(png.getFileName() + ".tmp");
        ChartUtils.saveChartAsPNG(tmp.toFile(), chart, 900, 600);
        Files.move(tmp, png, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    private static XYPlot panel(XYSeries s, String label, Color c, boolean unitRange) {
        NumberAxis y = new NumberAxis(label);
        y.setAutoRangeIncludesZero(unitRange);
        if (unitRange) y.setRange(0, 1);
        XYLineAndShapeRenderer r = new XYLineAndShapeRenderer(true, false);
        r.setSeriesPaint(0, c);
        r.setSeriesStroke(0, new BasicStroke(1.2f));
        XYPlot p = new XYPlot(new XYSeriesCollection(s), null, y, r);
        p.setBackgroundPaint(Color.WHITE);
        p.setDomainGridlinePaint(Color.LIGHT_GRAY);
        p.setRangeGridlinePaint(Color.LIGHT_GRAY);
        return p;
    }
}
