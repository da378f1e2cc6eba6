package org.mflowhpc.report;

import static org.junit.jupiter.api.Assertions.*;

import java.awt.image.BufferedImage;
import java.util.HashSet;
import java.util.Set;

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
        Set<Integer> colours = new HashSet<>();
        double s = 0, s2 = 0;
        long nonWhite = 0, n = (long) img.getWidth() * img.getHeight();
        for (int y = 0; y < img.getHeight(); y++)
            for (int x = 0; x < img.getWidth(); x++) {
                int rgb = img.getRGB(x, y) & 0xFFFFFF;
                colours.add(rgb);
                int r = rgb >> 16 & 255, g = rgb >> 8 & 255, b = rgb & 255;
                double l = 0.299 * r + 0.587 * g + 0.114 * b;
                s += l;
                s2 += l * l;
                if (rgb != 0xFFFFFF) nonWhite++;
            }
        double m = s / n;
        return new Stats(img.getWidth(), img.getHeight(), colours.size(), s2 / n - m * m, (double) nonWhite / n);
    }

    /** Pixels within a small distance of colour c (anti-aliasing blends edges). */
    public static int pixelsNear(BufferedImage img, java.awt.Color c, int tol) {
        int k = 0;
        for (int y = 0; y < img.getHeight(); y++)
            for (int x = 0; x < img.getWidth(); x++) {
                int rgb = img.getRGB(x, y);
                int r = rgb >> 16 & 255, g = rgb >> 8 & 255, b = rgb & 255;
                if (Math.abs(r - c.getRed()) <= tol && Math.abs(g - c.getGreen()) <= tol && Math.abs(b - c.getBlue()) <= tol) k++;
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
