/*
 * Contract: `mflow report` end to end, without the command line.
 *
 * Inputs (each argument one item, in order):
 *   ensemble       a directory with manifest.json or shard-*.h5 files, or one shard file (*.h5) -> EnsembleAnalysis
 *   training run   a directory with metrics.jsonl or checkpoint.bin (`mflow train --out`)   -> TrainingAnalysis
 *   run directory  a directory holding such directories one level down (`mflow run --out D`: D/model, D/ensemble):
 *                  its training runs, then its ensembles, each in name order
 *   anything else (a missing path, a directory that is none of these, another file) is a ReportException.
 * Ensembles of the same theory (group, lattice, beta, action) get a comparison section: a table of the estimates
 * and the charge (else plaquette) histories side by side.
 *
 * Outputs, for --out FILE.html (written only after every input has been read and analysed, so bad input writes
 * nothing; refused if any of the three exists unless force):
 *   FILE.html      one self-contained page: tables and every figure as an embedded base64 PNG with its caption
 *   FILE.json      every number behind the page: per ensemble the same keys as `measure --json` (ensemble,
 *                  configurations, algorithm, acceptance, ess, log_z, var_log_w, log_z_exact, kl_exact,
 *                  observables.{plaquette,Q,chi_t,|polyakov|}.{value,error,tau_int,tau_int_error,exact}) plus window,
 *                  flags and the flow diagnostics; per training run its metrics summary and fresh-sample numbers;
 *                  and every figure's series and markers (Figure.toJson) with the name of its PNG
 *   FILE-png/      the PNGs, <figure id>.png
 * The PNG directory is written under a temporary name and renamed; the JSON and the HTML are written to temporary
 * files and moved into place; a failure removes what this call wrote.
 */
package org.mflowhpc.report;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import org.mflowhpc.backend.Backend;
import org.mflowhpc.io.EnsembleMeta;
import org.mflowhpc.io.HdfSchema;
import org.mflowhpc.observable.stats.Autocorrelation;

/** A built report: analyses, sections with tables and figures; write() puts it on disk, text() summarises it. */
public final class Report {
    public enum Kind { ENSEMBLE, TRAINING }

    /** One input item. */
    public record Item(Kind kind, Path path) {}

    /** Analysis options (as `measure`: skip, S_tau; fresh samples of training runs and their seed). */
    public static final class Options {
        public int skip = 0;
        public double sTau = Autocorrelation.DEFAULT_S_TAU;
        public int fresh = 1024;
        public long seed = 1;
        /** Wilson loops {R, T} (as measure's --loops). */
        public List<int[]> loops = List.of(new int[] {1, 1}, new int[] {1, 2}, new int[] {2, 2});
    }

    /** A table: header and rows of cells. */
    public record Table(String title, List<String> header, List<List<String>> rows) {}

    /** A section of the page: an ensemble, a training run or a comparison. */
    public static final class Section {
        public final String id, heading, caption;
        public final List<Table> tables = new ArrayList<>();
        public final List<Figure> figures = new ArrayList<>();
        public final ObjectNode numbers;
        Section(String id, String heading, String caption, ObjectNode numbers) {
            this.id = id; this.heading = heading; this.caption = caption; this.numbers = numbers;
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    public final List<Item> items;
    public final List<EnsembleAnalysis> ensembles = new ArrayList<>();
    public final List<TrainingAnalysis> runs = new ArrayList<>();
    public final List<Section> sections = new ArrayList<>();
    public final Options options;

    private Report(List<Item> items, Options options) { this.items = items; this.options = options; }

    // ------------------------------------------------------------------ inputs

    /** Classifies the inputs (see the contract); nothing is read beyond directory listings. */
    public static List<Item> classify(List<Path> paths) throws ReportException {
        if (paths.isEmpty()) throw new ReportException("no input given");
        List<Item> out = new ArrayList<>();
        for (Path p : paths) {
            if (!Files.exists(p)) throw new ReportException(p + ": does not exist");
            if (Files.isRegularFile(p)) {
                if (p.getFileName().toString().endsWith(".h5")) { out.add(new Item(Kind.ENSEMBLE, p)); continue; }
                throw new ReportException(p + ": not an ensemble shard (*.h5) or a directory");
            }
            Kind k = kindOf(p);
            if (k != null) { out.add(new Item(k, p)); continue; }
            List<Item> sub = new ArrayList<>();
            try (Stream<Path> s = Files.list(p)) {
                for (Path c : s.filter(Files::isDirectory).sorted(Comparator.comparing(x -> x.getFileName().toString())).toList()) {
                    Kind ck = kindOf(c);
                    if (ck != null) sub.add(new Item(ck, c));
                }
            } catch (IOException e) {
                throw new ReportException(p + ": cannot list: " + e.getMessage(), e);
            }
            if (sub.isEmpty())
                throw new ReportException(p + ": neither an ensemble (manifest.json, shard-*.h5) nor a training run (metrics.jsonl, checkpoint.bin), nor a directory holding them");
            sub.sort(Comparator.comparing(i -> i.kind() == Kind.TRAINING ? 0 : 1));
            out.addAll(sub);
        }
        return out;
    }

    static Kind kindOf(Path dir) throws ReportException {
        if (Files.exists(dir.resolve(HdfSchema.MANIFEST))) return Kind.ENSEMBLE;
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, HdfSchema.SHARD_PREFIX + "*" + HdfSchema.SHARD_SUFFIX)) {
            if (ds.iterator().hasNext()) return Kind.ENSEMBLE;
        } catch (IOException e) {
            throw new ReportException(dir + ": cannot list: " + e.getMessage(), e);
        }
        if (Files.exists(dir.resolve("metrics.jsonl")) || Files.exists(dir.resolve("checkpoint.bin"))) return Kind.TRAINING;
        return null;
    }

    // ------------------------------------------------------------------ build

    /** Reads and analyses every input and lays out the sections. */
    public static Report build(List<Path> inputs, Backend be, Options o, Consumer<String> log) throws ReportException {
        if (o.skip < 0) throw new ReportException("--skip must be >= 0, got " + o.skip);
        if (!(o.sTau > 0)) throw new ReportException("--s-tau must be > 0, got " + o.sTau);
        if (o.fresh < 0 || o.fresh == 1) throw new ReportException("--fresh must be 0 or >= 2, got " + o.fresh);
        Report r = new Report(classify(inputs), o);
        int ne = 0, nt = 0;
        for (Item it : r.items) {
            if (log != null) log.accept("reading " + (it.kind() == Kind.ENSEMBLE ? "ensemble " : "training run ") + it.path());
            if (it.kind() == Kind.ENSEMBLE) {
                EnsembleAnalysis e = new EnsembleAnalysis(it.path(), be, o.skip, o.sTau, o.loops);
                r.ensembles.add(e);
                r.sections.add(ensembleSection("e" + (++ne), e));
            } else {
                TrainingAnalysis t = new TrainingAnalysis(it.path(), be, o.fresh, o.seed, log);
                r.runs.add(t);
                r.sections.add(trainingSection("t" + (++nt), t));
            }
        }
        // comparisons: ensembles of one theory
        List<List<EnsembleAnalysis>> groups = new ArrayList<>();
        for (EnsembleAnalysis e : r.ensembles) {
            List<EnsembleAnalysis> g = null;
            for (List<EnsembleAnalysis> x : groups) if (x.get(0).meta.samePhysics(e.meta)) g = x;
            if (g == null) groups.add(g = new ArrayList<>());
            g.add(e);
        }
        int nc = 0;
        for (List<EnsembleAnalysis> g : groups) if (g.size() > 1) r.sections.add(comparisonSection("c" + (++nc), g));
        return r;
    }

    static String fmt(double v) { return Double.isFinite(v) ? String.format(Locale.ROOT, "%.8g", v) : String.valueOf(v); }
    static String pm(double v, double e) { return Double.isNaN(v) ? "\u2014" : String.format(Locale.ROOT, "%.8g \u00b1 %.2g", v, e); }

    private static Section ensembleSection(String id, EnsembleAnalysis e) {
        ObjectNode n = JSON.createObjectNode();
        n.put("kind", "ensemble");
        n.put("path", e.path.toString());
        ObjectNode m = n.putObject("ensemble");
        EnsembleMeta meta = e.meta;
        m.put("group", meta.group().name());
        ArrayNode l = m.putArray("lattice");
        for (int x : meta.lattice().extents()) l.add(x);
        m.put("beta", meta.beta());
        m.put("algorithm", meta.algorithm());
        m.put("plaquette_convention", "(1/N) Re tr P averaged over all plaquettes");
        if (e.modelKind() != null) m.put("model_kind", e.modelKind());
        n.put("configurations", e.n);
        n.put("skip", e.skip);
        n.put("algorithm", meta.algorithm());
        n.put("sampler", e.sampler.name().toLowerCase(Locale.ROOT).replace('_', '-'));
        n.put("s_tau", e.sTau);
        if (e.acceptance != null) { n.put("acceptance", e.acceptance.value()); n.put("acceptance_error", e.acceptance.error()); }
        if (e.flow != null) {
            var s = e.flow.summary;
            n.put("ess", s.essFraction());
            n.put("ess_error", s.essError());
            n.put("log_z", s.logZ());
            n.put("log_z_error", s.logZError());
            n.put("var_log_w", s.varLogW());
            if (e.logZExact != null) { n.put("log_z_exact", e.logZExact); n.put("kl_exact", e.klExact); }
            flowJson(n.putObject("flow"), e.flow);
        }
        ObjectNode obs = n.putObject("observables");
        Table t = new Table("Observables (Wolff's \u0393 method, S_\u03c4 = " + e.sTau + (e.sampler == EnsembleAnalysis.Sampler.FLOW_REWEIGHT ? "; reweighted \u27e8wO\u27e9/\u27e8w\u27e9" : "") + ")",
                List.of("observable", "value \u00b1 error", "\u03c4_int", "window W", "exact", "pull", "flags"), new ArrayList<>());
        for (EnsembleAnalysis.Observable o : e.observables.values()) {
            Autocorrelation.Result r = o.result();
            ObjectNode on = obs.putObject(o.name());
            on.put("value", r.value());
            on.put("error", r.error());
            on.put("tau_int", r.tauInt());
            on.put("tau_int_error", r.tauIntError());
            if (o.exact() != null) on.put("exact", o.exact());
            on.put("window", r.window());
            ArrayNode fl = on.putArray("flags");
            for (Autocorrelation.Flag f : r.flags()) fl.add(f.name());
            String pull = o.exact() == null || !(r.error() > 0) ? "" : String.format(Locale.ROOT, "%+.1f", (r.value() - o.exact()) / r.error());
            t.rows().add(List.of(Figures.pretty(o.name()), pm(r.value(), r.error()), String.format(Locale.ROOT, "%.3g \u00b1 %.2g", r.tauInt(), r.tauIntError()),
                    Integer.toString(r.window()), o.exact() == null ? "" : fmt(o.exact()), pull, r.flags().isEmpty() ? "" : r.flags().toString()));
        }
        Section s = new Section(id, "Ensemble " + e.path, e.caption(), n);
        s.tables.add(t);
        if (e.flow != null || e.acceptance != null) s.tables.add(flowTable(e.flow, e.acceptance, e.logZExact, e.klExact, "Flow diagnostics (proposals)"));
        s.figures.addAll(Figures.ensemble(id, e));
        return s;
    }

    private static void flowJson(ObjectNode f, FlowWeights w) {
        f.put("proposals", w.n);
        f.put("zero_weights", w.zeroWeights);
        f.put("kl_estimated_log_z", w.summary.kl());
        f.put("mean_log_w", w.summary.meanLogW());
        f.put("bootstrap_resamples", FlowWeights.BOOTSTRAP);
        f.put("bootstrap_seed", FlowWeights.BOOTSTRAP_SEED);
        ObjectNode top = f.putObject("top_k_share");
        for (var e : w.topNamed.entrySet()) top.put(e.getKey(), e.getValue());
    }

    private static Table flowTable(FlowWeights w, Autocorrelation.Result acc, Double logZExact, Double kl, String title) {
        List<List<String>> rows = new ArrayList<>();
        if (acc != null) rows.add(List.of("acceptance (MH)", pm(acc.value(), acc.error())));
        if (w != null) {
            var s = w.summary;
            rows.add(List.of("proposals N", Integer.toString(w.n)));
            rows.add(List.of("ESS/N (bootstrap error)", pm(s.essFraction(), s.essError())));
            rows.add(List.of("log \u1e90 = LSE(log w) \u2212 log N", pm(s.logZ(), s.logZError())));
            if (logZExact != null) rows.add(List.of("log Z exact", fmt(logZExact)));
            if (kl != null) rows.add(List.of("KL(q\u2016p) = log Z \u2212 mean log w", fmt(kl)));
            rows.add(List.of("var(log w)", fmt(s.varLogW())));
            StringBuilder sb = new StringBuilder();
            for (var e : w.topNamed.entrySet()) sb.append(sb.length() == 0 ? "" : ", ").append("top ").append(e.getKey()).append(String.format(Locale.ROOT, ": %.3g", e.getValue()));
            rows.add(List.of("share of \u03a3w in the largest weights", sb.toString()));
            if (w.zeroWeights > 0) rows.add(List.of("zero weights", Integer.toString(w.zeroWeights)));
        }
        return new Table(title, List.of("quantity", "value"), rows);
    }

    private static Section trainingSection(String id, TrainingAnalysis t) {
        ObjectNode n = JSON.createObjectNode();
        n.put("kind", "training");
        n.put("path", t.dir.toString());
        List<List<String>> rows = new ArrayList<>();
        if (t.checkpoint != null) {
            ObjectNode m = n.putObject("model");
            m.put("kind", t.checkpoint.kind);
            m.put("group", t.checkpoint.group.name());
            m.put("lattice", t.checkpoint.lattice.spec());
            m.put("beta", t.checkpoint.beta);
            m.put("step", t.checkpoint.step);
            m.putPOJO("config", t.checkpoint.config);
            rows.add(List.of("model", t.checkpoint.kind + " " + t.checkpoint.config));
            rows.add(List.of("checkpoint step", Long.toString(t.checkpoint.step)));
        }
        n.put("metrics_lines", t.step.length);
        n.put("unreadable_metrics_lines", t.unreadableLines);
        if (t.logZExact != null) n.put("log_z_exact", t.logZExact);
        ObjectNode mt = n.putObject("metrics");
        Figure.put(mt, "step", t.step);
        Figure.put(mt, "loss", t.loss);
        Figure.put(mt, "ess", t.ess);
        Figure.put(mt, "var_logw", t.varLogW);
        Figure.put(mt, "lr", t.lr);
        Figure.put(mt, "grad_norm", t.gradNorm);
        Figure.put(mt, "skipped", t.skipped);
        int last = t.step.length;
        if (last > 0) {
            int w = Math.min(last, 50);
            double sl = 0, se = 0;
            int cl = 0, ce = 0;
            for (int i = last - w; i < last; i++) {
                if (Double.isFinite(t.loss[i])) { sl += t.loss[i]; cl++; }
                if (Double.isFinite(t.ess[i])) { se += t.ess[i]; ce++; }
            }
            double ml = sl / cl, me = se / ce;
            Figure.num(n, "loss_last50_mean", ml);
            Figure.num(n, "batch_ess_last50_mean", me);
            rows.add(List.of("steps in metrics.jsonl", last + (t.unreadableLines > 0 ? " (" + t.unreadableLines + " unreadable lines skipped)" : "")));
            rows.add(List.of("loss, mean of the last " + w + " steps", fmt(ml)));
            if (t.logZExact != null) {
                Figure.num(n, "kl_last50_mean", ml + t.logZExact);
                rows.add(List.of("KL = loss + log Z, last " + w + " steps", fmt(ml + t.logZExact)));
            }
            rows.add(List.of("batch ESS/B, mean of the last " + w + " steps", fmt(me)));
        }
        if (t.logZExact != null) rows.add(List.of("log Z exact", fmt(t.logZExact)));
        if (t.fresh != null) {
            var s = t.fresh.summary;
            ObjectNode fr = n.putObject("fresh");
            fr.put("samples", t.fresh.n);
            fr.put("seed", t.freshSeed);
            fr.put("ess", s.essFraction());
            fr.put("ess_error", s.essError());
            fr.put("log_z", s.logZ());
            fr.put("log_z_error", s.logZError());
            fr.put("var_log_w", s.varLogW());
            if (t.freshKl != null) fr.put("kl_exact", t.freshKl);
            flowJson(fr.putObject("flow"), t.fresh);
            if (t.freshLogQ != null) {
                ObjectNode lv = fr.putObject("levels");
                ArrayNode lab = lv.putArray("labels");
                for (String x : t.levelLabels) lab.add(x);
                Figure.put(lv, "log_q", t.freshLogQ);
                Figure.put(lv, "log_q_error", t.freshLogQErr);
                Figure.put(lv, "log_p", t.freshLogP);
                Figure.put(lv, "log_p_error", t.freshLogPErr);
                if (t.freshKlLevel != null) { Figure.put(lv, "kl", t.freshKlLevel); Figure.put(lv, "kl_error", t.freshKlLevelErr); }
            }
        }
        n.put("levels_recorded_in_metrics", t.recordedLevels() > 0);
        Section sec = new Section(id, "Training run " + t.dir, t.caption(), n);
        sec.tables.add(new Table("Training", List.of("quantity", "value"), rows));
        if (t.fresh != null) sec.tables.add(flowTable(t.fresh, null, t.logZExact, t.freshKl, "Final model on " + t.fresh.n + " fresh samples"));
        if (t.freshLogQ != null) {
            List<List<String>> lr = new ArrayList<>();
            for (int k = 0; k < t.freshLogQ.length; k++)
                lr.add(List.of(Figures.levelName(t, k), pm(t.freshLogQ[k], t.freshLogQErr[k]), pm(t.freshLogP[k], t.freshLogPErr[k]),
                        t.freshKlLevel == null ? "(refined: no split)" : pm(t.freshKlLevel[k], t.freshKlLevelErr[k])));
            sec.tables.add(new Table("By doubling layer (final model, fresh samples)", List.of("layer", "log q_k", "log p_k (exact)", "KL_k"), lr));
        }
        sec.figures.addAll(Figures.training(id, t));
        return sec;
    }

    private static Section comparisonSection(String id, List<EnsembleAnalysis> g) {
        EnsembleAnalysis e0 = g.get(0);
        ObjectNode n = JSON.createObjectNode();
        n.put("kind", "comparison");
        ArrayNode ps = n.putArray("ensembles");
        for (EnsembleAnalysis e : g) ps.add(e.path.toString());
        List<String> header = new ArrayList<>(List.of("observable"));
        for (EnsembleAnalysis e : g) header.add(e.meta.algorithm() + " (" + e.path.getFileName() + ")");
        header.add("exact");
        List<List<String>> rows = new ArrayList<>();
        for (String obs : e0.observables.keySet()) {
            List<String> row = new ArrayList<>(List.of(Figures.pretty(obs)));
            for (EnsembleAnalysis e : g) {
                Autocorrelation.Result r = e.observables.get(obs).result();
                row.add(pm(r.value(), r.error()) + String.format(Locale.ROOT, "  (\u03c4_int %.3g)", r.tauInt()));
            }
            Double ex = e0.observables.get(obs).exact();
            row.add(ex == null ? "" : fmt(ex));
            rows.add(row);
        }
        Section s = new Section(id, "Comparison: " + EnsembleAnalysis.theory(e0.meta) + " " + e0.meta.lattice().spec() + ", \u03b2 = " + e0.meta.beta(),
                g.size() + " ensembles of the same theory", n);
        s.tables.add(new Table("Estimates side by side", header, rows));
        s.figures.add(Figures.sideBySide(id, g));
        return s;
    }

    // ------------------------------------------------------------------ outputs

    /** The JSON and PNG paths that go with an HTML path. */
    public static Path jsonPath(Path html) { return html.resolveSibling(stem(html) + ".json"); }
    public static Path pngDir(Path html) { return html.resolveSibling(stem(html) + "-png"); }

    static String stem(Path html) {
        String f = html.getFileName().toString();
        return f.endsWith(".html") ? f.substring(0, f.length() - 5) : f.endsWith(".htm") ? f.substring(0, f.length() - 4) : f;
    }

    /** Checks the output paths before any work: none may exist unless force; the directory must be writable. */
    public static void checkOutputs(Path html, boolean force) throws ReportException {
        if (!html.getFileName().toString().endsWith(".html")) throw new ReportException("--out " + html + ": the report file must end in .html");
        for (Path p : List.of(html, jsonPath(html), pngDir(html)))
            if (Files.exists(p) && !force) throw new ReportException(p + " already exists; choose another --out or pass --force");
        Path dir = html.toAbsolutePath().getParent();
        if (dir != null && Files.exists(dir) && !Files.isDirectory(dir)) throw new ReportException("--out " + html + ": " + dir + " is not a directory");
    }

    /** Renders every figure and writes FILE.html, FILE.json and FILE-png/ (see the contract); returns the PNG paths. */
    public List<Path> write(Path html, boolean force) throws ReportException, IOException {
        checkOutputs(html, force);
        // render first (no file touched yet)
        Map<Figure, byte[]> png = new LinkedHashMap<>();
        for (Section s : sections) for (Figure f : s.figures) png.put(f, Charts.png(f));
        Path abs = html.toAbsolutePath();
        Path dir = abs.getParent();
        Files.createDirectories(dir);
        Path pngs = pngDir(abs), json = jsonPath(abs);
        Path tmpDir = Files.createTempDirectory(dir, "." + stem(abs) + "-png.");
        Path tmpJson = dir.resolve("." + json.getFileName() + ".tmp"), tmpHtml = dir.resolve("." + abs.getFileName() + ".tmp");
        List<Path> written = new ArrayList<>();
        boolean ok = false;
        try {
            for (Map.Entry<Figure, byte[]> e : png.entrySet()) Files.write(tmpDir.resolve(e.getKey().id + ".png"), e.getValue());
            Files.writeString(tmpJson, JSON.writeValueAsString(json(pngs.getFileName().toString())), StandardCharsets.UTF_8);
            Files.writeString(tmpHtml, Html.page(this, png, pngs.getFileName().toString(), json.getFileName().toString()), StandardCharsets.UTF_8);
            if (force && Files.exists(pngs)) deleteTree(pngs);
            Files.move(tmpDir, pngs, StandardCopyOption.ATOMIC_MOVE);
            Files.move(tmpJson, json, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            Files.move(tmpHtml, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            for (Figure f : png.keySet()) written.add(pngs.resolve(f.id + ".png"));
            ok = true;
        } finally {
            if (!ok) {
                if (Files.exists(tmpDir)) deleteTree(tmpDir);
                Files.deleteIfExists(tmpJson);
                Files.deleteIfExists(tmpHtml);
            }
        }
        return written;
    }

    static void deleteTree(Path p) throws IOException {
        try (Stream<Path> s = Files.walk(p)) {
            for (Path x : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(x);
        }
    }

    /** The whole report as JSON (figures name their PNG under pngDirName). */
    public ObjectNode json(String pngDirName) {
        ObjectNode root = JSON.createObjectNode();
        root.put("format", "mflow-hpc-report");
        root.put("format_version", 1);
        root.put("mflow_version", EnsembleMeta.currentVersion());
        ObjectNode conv = root.putObject("conventions");
        conv.put("plaquette", "(1/N) Re tr P averaged over all plaquettes (all sites, all planes mu<nu), N=1 for U1, N=3 for SU3");
        conv.put("action", "S = -(beta/N) sum_x sum_{mu<nu} Re tr P_munu(x)");
        conv.put("topological_charge", "Q = (1/2pi) sum_x arg P_01(x), arg in (-pi, pi] (2D U(1)); chi_t = <Q^2>/V");
        conv.put("polyakov", "|(1/V_s) sum_{x_s} (1/N) tr prod_t U_{d-1}(x_s + t e_{d-1})|, along the last direction");
        conv.put("log_w", "log w = -S - log q (densities w.r.t. the normalised Haar measure); ESS/N = (sum w)^2 / (N sum w^2)");
        conv.put("errors", "Wolff's Gamma method with automatic window (S_tau) and bias correction; tau_int = 1/2 + sum_{t=1}^{W} rho(t)");
        ObjectNode opt = root.putObject("options");
        opt.put("skip", options.skip);
        opt.put("s_tau", options.sTau);
        opt.put("fresh", options.fresh);
        opt.put("seed", options.seed);
        ArrayNode secs = root.putArray("sections");
        for (Section s : sections) {
            ObjectNode sn = secs.addObject();
            sn.put("id", s.id);
            sn.put("heading", s.heading);
            sn.setAll(s.numbers);
            ArrayNode figs = sn.putArray("figures");
            for (Figure f : s.figures) figs.add(f.toJson(pngDirName + "/" + f.id + ".png"));
        }
        return root;
    }

    /** Terminal summary (--text). */
    public String text() {
        StringBuilder sb = new StringBuilder();
        for (Section s : sections) {
            sb.append("== ").append(s.heading).append('\n');
            sb.append(s.caption).append('\n');
            for (Table t : s.tables) {
                sb.append("-- ").append(t.title()).append('\n');
                int[] w = new int[t.header().size()];
                for (int i = 0; i < w.length; i++) w[i] = t.header().get(i).length();
                for (List<String> r : t.rows()) for (int i = 0; i < w.length && i < r.size(); i++) w[i] = Math.max(w[i], r.get(i).length());
                appendRow(sb, t.header(), w);
                for (List<String> r : t.rows()) appendRow(sb, r, w);
            }
            sb.append(s.figures.size()).append(" figures\n\n");
        }
        return sb.toString();
    }

    private static void appendRow(StringBuilder sb, List<String> r, int[] w) {
        for (int i = 0; i < r.size(); i++) {
            String c = r.get(i);
            sb.append(i == 0 ? "  " : "  ").append(c);
            if (i < r.size() - 1) sb.append(" ".repeat(Math.max(0, w[i] - c.length())));
        }
        sb.append('\n');
    }

    /** Base64 of PNG bytes (for the HTML). */
    static String base64(byte[] png) { return Base64.getEncoder().encodeToString(png); }
}
