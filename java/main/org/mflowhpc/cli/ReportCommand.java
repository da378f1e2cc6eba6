package org.mflowhpc.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;

import org.mflowhpc.backend.Backend;
import org.mflowhpc.report.Report;
import org.mflowhpc.report.ReportException;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code mflow report}: the pictures a practitioner looks at before trusting an ensemble or a trained model (see
 * {@link Report} for inputs, outputs and the numbers; docs/report.md). Every input is read and analysed before any
 * file is written, so bad input (a directory that is neither an ensemble nor a training run, a corrupt shard, an
 * empty ensemble, an unreadable checkpoint, an existing output) gives one line and exit status 2 with nothing
 * written. Without --text it writes --out (default report.html) with FILE.json and FILE-png/; with --text it
 * prints a terminal summary and writes files only when --out is given.
 */
@Command(name = "report", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Report on ensembles and training runs: one self-contained HTML page with embedded PNG figures,",
                "the PNGs, and the numbers behind every figure in a JSON file beside it.",
                "Ensembles: Monte Carlo histories, autocorrelation functions with window and tau_int (as measure),",
                "flow weight diagnostics (log w histogram, ESS vs samples used, top-k weight share, acceptance).",
                "Training runs: loss, KL (when log Z is known), batch and fresh-sample ESS, KL by doubling layer."},
        footer = {"", "Example: mflow run --out D && mflow report D --out D/report.html",
                "         mflow report hb-ens hmc-ens flow-ens --text"})
final class ReportCommand implements java.util.concurrent.Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Parameters(arity = "1..*", paramLabel = "DIR", description = {"Ensemble directories (or shard files), training-run directories,",
            "or directories holding them (the --out of mflow run)."}) List<Path> inputs;
    @Option(names = "--out", paramLabel = "FILE.html", description = "Report file (FILE.json and FILE-png/ go beside it). Default: report.html (not written with --text unless given).") Path out;
    @Option(names = "--text", description = "Print a terminal summary (no browser needed).") boolean text;
    @Option(names = "--force", description = "Replace an existing report (FILE.html, FILE.json, FILE-png/).") boolean force;
    @Option(names = "--skip", defaultValue = "0", description = "Configurations to drop from the start of each ensemble (as measure). Default: ${DEFAULT-VALUE}.") int skip;
    @Option(names = "--s-tau", defaultValue = "1.5", description = "Wolff's S_tau for automatic windowing (as measure). Default: ${DEFAULT-VALUE}.") double sTau;
    @Option(names = "--loops", split = ",", defaultValue = "1x1,1x2,2x2", description = "Wilson loops RxT for the tables and the JSON (as measure). Default: ${DEFAULT-VALUE}.") List<String> loops;
    @Option(names = "--fresh", defaultValue = "1024", description = "Fresh samples drawn from a training run's final model for ESS, KL and the level split (0 = none). Default: ${DEFAULT-VALUE}.") int fresh;
    @Option(names = "--seed", defaultValue = "1", description = "Seed of the fresh samples. Default: ${DEFAULT-VALUE}.") long seed;
    @CommandLine.Mixin ComputeOptions compute = new ComputeOptions();

    @Override public Integer call() throws Exception {
        if (System.getProperty("java.awt.headless") == null) System.setProperty("java.awt.headless", "true");
        PrintWriter err = spec.commandLine().getErr();
        Path html = out != null ? out : text ? null : Path.of("report.html");
        Report.Options o = new Report.Options();
        o.skip = skip;
        o.sTau = sTau;
        o.fresh = fresh;
        o.seed = seed;
        o.loops = new java.util.ArrayList<>();
        for (String l : loops) {
            String[] p = l.trim().split("[xX]");
            try {
                if (p.length != 2) throw new NumberFormatException();
                int r = Integer.parseInt(p[0]), t = Integer.parseInt(p[1]);
                if (r < 1 || t < 1) throw new NumberFormatException();
                o.loops.add(new int[] {r, t});
            } catch (NumberFormatException e) {
                throw new UserError("bad Wilson loop '" + l + "' (expected RxT, e.g. 2x2)");
            }
        }
        try {
            if (html != null) Report.checkOutputs(html, force);
            Report r;
            try (Backend be = compute.create()) {
                // progress lines only on a terminal: in pipes, logs and tests an error stays the one line on stderr
                boolean terminal = System.console() != null;
                r = Report.build(inputs, be, o, terminal ? m -> { err.println("mflow report: " + m); err.flush(); } : null);
            }
            if (text) {
                PrintWriter pw = spec.commandLine().getOut();
                pw.print(r.text());
                pw.flush();
            }
            if (html != null) {
                List<Path> pngs = r.write(html, force);
                err.println("mflow report: wrote " + html + ", " + Report.jsonPath(html) + " and " + pngs.size() + " figures in " + Report.pngDir(html));
                err.flush();
            }
        } catch (ReportException e) {
            throw new UserError(e.getMessage(), e);
        }
        return 0;
    }
}
