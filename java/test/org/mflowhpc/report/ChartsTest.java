package org.mflowhpc.report;

import static org.junit.jupiter.api.Assertions.*;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;

import javax.imageio.ImageIO;

import com.fasterxml.jackson.databind.node.ObjectNode;

import org.junit.jupiter.api.Test;

/**
 * Charts draws every series style and layout headless, at the figure's size, with content (not blank: colours,
 * luminance variance, the series colour on many pixels) and the PNG decodes to the same image; a figure without
 * data fails the series-colour check (the check can fail); Figure.toJson carries the drawn numbers.
 */
class ChartsTest {
    static double[] seq(int n, java.util.function.IntToDoubleFunction f) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) v[i] = f.applyAsDouble(i);
        return v;
    }

    @Test void historyFigureIsLegibleAndTheSeriesIsDrawn() throws Exception {
        int n = 500;
        double[] x = seq(n, i -> i), y = seq(n, i -> 0.7 + 0.05 * Math.sin(0.3 * i) + 0.02 * Math.cos(1.7 * i));
        Figure.Panel p = new Figure.Panel("configuration", "plaquette (1/N) Re tr P");
        p.line("per configuration", x, y).line("running mean", x, seq(n, i -> 0.7)).hmark("exact 0.7", 0.7);
        Figure f = Figure.single("t-history", "Monte Carlo history", "2D U(1), lattice 8x8, beta = 2.0", p).size(900, 520);
        BufferedImage img = Charts.image(f);
        assertEquals("true", System.getProperty("java.awt.headless"));
        ImageChecks.assertLegible(img, 900, 520, f.id);
        int blue = ImageChecks.pixelsNear(img, Charts.PALETTE[0], 40), red = ImageChecks.pixelsNear(img, Charts.PALETTE[1], 40);
        assertTrue(blue > 2000, "series pixels " + blue);
        assertTrue(red > 300, "running-mean pixels " + red);
        BufferedImage back = ImageIO.read(new ByteArrayInputStream(Charts.png(f)));
        assertEquals(900, back.getWidth());
        assertEquals(520, back.getHeight());

        // the same figure without data: axes and text only, the check on series pixels fails
        Figure.Panel e = new Figure.Panel("configuration", "plaquette");
        e.line("per configuration", new double[0], new double[0]);
        BufferedImage empty = Charts.image(Figure.single("t-empty", "Monte Carlo history", "nothing", e).size(900, 520));
        int none = ImageChecks.pixelsNear(empty, Charts.PALETTE[0], 40);
        assertTrue(none < 200, "an empty plot has " + none + " series pixels");
        System.out.println("series pixels: drawn " + blue + ", empty plot " + none + "; " + ImageChecks.stats(img) + " vs " + ImageChecks.stats(empty));
    }

    @Test void everyStyleAndLayoutRenders() {
        int n = 40;
        double[] x = seq(n, i -> i + 1), y = seq(n, i -> Math.exp(-0.1 * i)), lo = seq(n, i -> Math.exp(-0.1 * i) - 0.05), hi = seq(n, i -> Math.exp(-0.1 * i) + 0.05);
        y[5] = Double.NaN; // a gap
        Figure.Panel a = new Figure.Panel("n (log scale)", "ESS/n");
        a.logX = true;
        a.band("band", x, y, lo, hi).points("points", x, y).dashed("ref", x, seq(n, i -> 0.5)).vmark("W", 10).yRange(0, 1.05);
        Figure.Panel b = new Figure.Panel("log w - log Z", "count (log scale)");
        b.logY = true;
        b.yMin = 0.5;
        b.bars("proposals", seq(n, i -> -2 + 0.1 * i), seq(n, i -> -1.9 + 0.1 * i), seq(n, i -> i % 7 == 0 ? 0 : Math.exp(-0.01 * (i - 20) * (i - 20)) * 300));
        Figure.Panel c = new Figure.Panel("layer", "KL_k");
        c.errors("KL", seq(4, i -> i), seq(4, i -> 0.01 * i), seq(4, i -> 0.01 * i - 0.002), seq(4, i -> 0.01 * i + 0.002));
        c.xSymbols = new String[] {"0: 1x1", "1: 2x1", "2: 2x2", "3: 4x2"};
        c.xMin = -0.5;
        c.xMax = 3.5;
        for (Figure.Panel p : new Figure.Panel[] {a, b, c}) {
            BufferedImage img = Charts.image(Figure.single("t-single", "title", "caption", p));
            ImageChecks.assertLegible(img, 1000, 600, p.yLabel);
            assertTrue(ImageChecks.pixelsNear(img, Charts.PALETTE[0], 60) > 300, p.yLabel);
        }
        Figure st = new Figure("t-stacked", "stacked", "caption", Figure.Layout.STACKED).add(a).add(c);
        ImageChecks.assertLegible(Charts.image(st), 1000, 600, "stacked");
        Figure.Panel q1 = new Figure.Panel("configuration (heatbath)", "Q"), q2 = new Figure.Panel("configuration (hmc)", "Q");
        q1.line("heatbath", x, seq(n, i -> Math.round(2 * Math.sin(i))));
        q2.line("hmc", x, seq(n, i -> Math.round(2 * Math.cos(0.2 * i))));
        Figure side = new Figure("t-side", "side by side", "caption", Figure.Layout.SIDE_BY_SIDE).add(q1).add(q2).size(1200, 500);
        BufferedImage si = Charts.image(side);
        ImageChecks.assertLegible(si, 1200, 500, "side by side");
        assertTrue(ImageChecks.pixelsNear(si, Charts.PALETTE[1], 40) > 200, "second panel has its own colour");
    }

    @Test void jsonCarriesTheDrawnNumbers() {
        Figure.Panel p = new Figure.Panel("x", "y");
        p.line("s", new double[] {1, 2, 3}, new double[] {0.5, Double.NaN, 1.5}).hmark("exact", 0.25);
        ObjectNode j = Figure.single("t-json", "T", "C", p).toJson("dir/t-json.png");
        assertEquals("dir/t-json.png", j.get("png").asText());
        var s = j.get("panels").get(0).get("series").get(0);
        assertEquals(0.5, s.get("y").get(0).asDouble());
        assertTrue(s.get("y").get(1).isNull());
        assertEquals(3.0, s.get("x").get(2).asDouble());
        assertEquals(0.25, j.get("panels").get(0).get("markers").get(0).get("value").asDouble());
        assertThrows(IllegalArgumentException.class, () -> new Figure("Bad Id", "t", "c", Figure.Layout.SINGLE));
        assertThrows(IllegalArgumentException.class, () -> new Figure.Panel("x", "y").band("b", new double[2], new double[2], null, null));
    }
}
