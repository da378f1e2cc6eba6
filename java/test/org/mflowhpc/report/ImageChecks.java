package org.mflowhpc.report;

import static org.junit.jupiter.api.Assertions.*;

import java.awt.image.BufferedImage;

/**
 * Legibility checks on rendered figures: the expected size, not blank (many distinct colours, a luminance variance
 * well above a flat image's 0, a share of non-white pixels) and, separately ({@link #pixelsNear}), a plotted
 * series colour covering many pixels, so the data and not only axes and text were drawn.
 */
public final class ImageChecks {
    private ImageChecks() {}

    /** Statistics of an image: distinct colours, luminance variance, fraction of non-white pixels. */
    public record Stats(int width, int height, int colours, double lumVariance, double nonWhite) {}

    public static Stats stats(BufferedImage img) {
        int w = img.getWidth(), h = img.getHeight();
        int[] px = img.getRGB(0, 0, w, h, null, 0, w);
        java.util.BitSet colours = new java.util.BitSet(1 << 24);
        double s = 0, s2 = 0;
        long nonWhite = 0;
        for (int v : px) {
            int rgb = v & 0xFFFFFF;
            colours.set(rgb);
            double l = 0.299 * (rgb >> 16 & 255) + 0.587 * (rgb >> 8 & 255) + 0.114 * (rgb & 255);
            s += l;
            s2 += l * l;
            if (rgb != 0xFFFFFF) nonWhite++;
        }
        double m = s / px.length;
        return new Stats(w, h, colours.cardinality(), s2 / px.length - m * m, (double) nonWhite / px.length);
    }

    /** Pixels within a small distance of colour c (anti-aliasing blends edges). */
    public static int pixelsNear(BufferedImage img, java.awt.Color c, int tol) {
        int k = 0;
        for (int v : img.getRGB(0, 0, img.getWidth(), img.getHeight(), null, 0, img.getWidth())) {
            if (Math.abs((v >> 16 & 255) - c.getRed()) <= tol && Math.abs((v >> 8 & 255) - c.getGreen()) <= tol && Math.abs((v & 255) - c.getBlue()) <= tol) k++;
        }
        return k;
    }

    /** Asserts a legible, non-blank figure of at least minW x minH pixels. */
    public static Stats assertLegible(BufferedImage img, int minW, int minH, String what) {
        Stats st = stats(img);
        assertTrue(st.width() >= minW && st.height() >= minH, what + ": size " + st.width() + "x" + st.height());
        assertTrue(st.colours() >= 20, what + ": only " + st.colours() + " colours (blank?)");
        assertTrue(st.lumVariance() > 50, what + ": luminance variance " + st.lumVariance() + " (blank?)");
        assertTrue(st.nonWhite() > 0.02, what + ": " + st.nonWhite() + " of the pixels are not white (blank?)");
        return st;
    }
}
