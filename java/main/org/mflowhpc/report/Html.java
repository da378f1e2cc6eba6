/*
 * Contract: the report page, one self-contained HTML5 file (UTF-8, inline CSS, no script, no external resource):
 * a header (tool version, inputs, conventions, where the JSON and PNGs are), a table of contents, then one section
 * per ensemble / training run / comparison with its tables and its figures, each an <img> whose src is the PNG as a
 * base64 data URI, with the figure's caption and the name of the PNG file and of its JSON entry (figure id).
 * All text is HTML-escaped.
 */
package org.mflowhpc.report;

import java.util.List;
import java.util.Map;

import org.mflowhpc.io.EnsembleMeta;

/** HTML rendering of a built report (static). */
final class Html {
    private Html() {}

    static String esc(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (char c : s.toCharArray()) {
            switch (c) {
                case '&': b.append("&amp;"); break;
                case '<': b.append("&lt;"); break;
                case '>': b.append("&gt;"); break;
                case '"': b.append("&quot;"); break;
                default: b.append(c);
            }
        }
        return b.toString();
    }

    static String page(Report r, Map<Figure, byte[]> png, String pngDir, String jsonName) {
        StringBuilder h = new StringBuilder(1 << 20);
        h.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>mflow report</title>\n<style>\n")
                .append("body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222;line-height:1.4}\n")
                .append("h1{font-size:1.6em}h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:2em}h3{font-size:1.05em}\n")
                .append("table{border-collapse:collapse;margin:.5em 0 1em}td,th{border:1px solid #ccc;padding:.25em .6em;text-align:left;font-size:.92em}\n")
                .append("th{background:#f2f2f2}figure{margin:1.5em 0}figure img{max-width:100%;height:auto;border:1px solid #ddd}\n")
                .append("figcaption{font-size:.9em;color:#444}code{font-size:.9em}.small{font-size:.85em;color:#555}\n")
                .append("</style>\n</head>\n<body>\n");
        h.append("<h1>mflow report</h1>\n<p class=\"small\">mflow-hpc ").append(esc(EnsembleMeta.currentVersion())).append(". Inputs: ");
        for (int i = 0; i < r.items.size(); i++) {
            Report.Item it = r.items.get(i);
            h.append(i == 0 ? "" : ", ").append("<code>").append(esc(it.path().toString())).append("</code> (")
                    .append(it.kind() == Report.Kind.ENSEMBLE ? "ensemble" : "training run").append(')');
        }
        h.append(". Numbers behind every figure: <code>").append(esc(jsonName)).append("</code> (by figure id); PNGs: <code>")
                .append(esc(pngDir)).append("/</code>.</p>\n");
        h.append("<p class=\"small\">Conventions: plaquette (1/N) Re tr P averaged over all plaquettes; S = \u2212(\u03b2/N) \u03a3 Re tr P; "
                + "Q = (1/2\u03c0) \u03a3 arg P\u2080\u2081 (2D U(1)), \u03c7_t = \u27e8Q\u00b2\u27e9/V; |P| the Polyakov loop along the last direction; "
                + "log w = \u2212S \u2212 log q; errors and \u03c4_int by Wolff's \u0393 method (S_\u03c4 = ").append(r.options.sTau)
                .append(", the same code as <code>mflow measure</code>)")
                .append(r.options.skip > 0 ? "; the first " + r.options.skip + " configurations of each ensemble skipped" : "").append(".</p>\n");
        h.append("<ul>\n");
        for (Report.Section s : r.sections) h.append("<li><a href=\"#").append(s.id).append("\">").append(esc(s.heading)).append("</a></li>\n");
        h.append("</ul>\n");
        for (Report.Section s : r.sections) {
            h.append("<h2 id=\"").append(s.id).append("\">").append(esc(s.heading)).append("</h2>\n<p>").append(esc(s.caption)).append("</p>\n");
            for (Report.Table t : s.tables) table(h, t);
            for (Figure f : s.figures) {
                h.append("<figure id=\"").append(f.id).append("\">\n<img alt=\"").append(esc(f.title)).append("\" width=\"").append(f.width)
                        .append("\" height=\"").append(f.height).append("\" src=\"data:image/png;base64,").append(Report.base64(png.get(f))).append("\">\n")
                        .append("<figcaption><b>").append(esc(f.title)).append(".</b> ").append(esc(f.caption))
                        .append(" <span class=\"small\">(<code>").append(esc(pngDir + "/" + f.id + ".png")).append("</code>; figure id <code>")
                        .append(esc(f.id)).append("</code> in the JSON)</span></figcaption>\n</figure>\n");
            }
        }
        h.append("</body>\n</html>\n");
        return h.toString();
    }

    private static void table(StringBuilder h, Report.Table t) {
        h.append("<h3>").append(esc(t.title())).append("</h3>\n<table>\n<tr>");
        for (String c : t.header()) h.append("<th>").append(esc(c)).append("</th>");
        h.append("</tr>\n");
        for (List<String> r : t.rows()) {
            h.append("<tr>");
            for (String c : r) h.append("<td>").append(esc(c)).append("</td>");
            h.append("</tr>\n");
        }
        h.append("</table>\n");
    }
}
