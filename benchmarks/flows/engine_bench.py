#!/usr/bin/env python3
"""Physics of the flow engine across theories: `haar` (Haar prior + gauge-equivariant coupling layers) for U(1) and
SU(3) in 2, 3 and 4 dimensions, trained from the CLI and made exact by reweighting and by independence Metropolis.

Contract: drives the built jar (target/mflow-hpc.jar) through `mflow train`, `mflow sample`, `mflow generate` and
`mflow measure --json`; Python standard library only. For every run (group, lattice, beta, model, steps):
  - training wall time and s/step (median of step_s in timing.jsonl; metrics.jsonl for older runs);
  - reweighting on --samples fresh samples (seed distinct from training): ESS per sample with a bootstrap error,
    KL = log Z_exact - <log w> where log Z is known (2D), var(log w);
  - an independence-MH chain of --mh-configs proposals: acceptance and the plaquette (1/N) Re tr P with its error
    (Wolff's Gamma method), against the exact value (2D) or the project's own heatbath ensemble on the same
    lattice (--hb-configs configurations after --hb-therm sweeps), and the pull.
The report (Markdown, machine, date, load, exact commands) is rewritten after every row.

Usage: python3 benchmarks/flows/engine_bench.py --out benchmarks/results/DATE-engine.md
       [--runs su3-2d,su3-4d,u1-3d4d] [--steps-2d 500] [--steps-4d 200] [--samples 4096]
"""
import argparse, datetime, json, os, platform, shutil, subprocess, sys, time

from benchinfo import machine

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
JAR = os.path.join(ROOT, "target", "mflow-hpc.jar")
LOG = []


def mflow(*args):
    cmd = ["java", "-jar", JAR] + [str(a) for a in args]
    LOG.append("mflow " + " ".join(str(a) for a in args))
    t0 = time.time()
    p = subprocess.run(cmd, capture_output=True, text=True, env=dict(os.environ, MFLOW_PROGRESS="plain"))
    if p.returncode != 0:
        sys.stderr.write(p.stderr or "")
        raise SystemExit("failed: " + " ".join(cmd))
    return p.stdout, p.stderr, time.time() - t0



RUNS = {
    # name: (group, lattice, beta, model options, steps key[, model]); model defaults to haar
    "su3-2d": [("SU3", "8x8", 4.0, [], "2d"), ("SU3", "8x8", 8.0, [], "2d")],
    "su3-2d-b8": [("SU3", "8x8", 8.0, [], "2d")],
    "su3-4d": [("SU3", "4x4x4x4", 1.0, [], "4d"), ("SU3", "4x4x4x4", 3.0, [], "4d"), ("SU3", "4x4x4x4", 5.7, [], "4d")],
    "u1-3d4d": [("U1", "8x8x8", 1.0, [], "3d"), ("U1", "4x4x4x4", 1.0, [], "4d")],
    "su3-4d-strong": [("SU3", "4x4x4x4", 1.0, [], "4d")],
    "su3-4d-weak": [("SU3", "4x4x4x4", 3.0, [], "4d"), ("SU3", "4x4x4x4", 5.7, [], "4d")],
    # multiscale (staple-doubling, midpoint-centred) next to haar at the same number of steps
    "ms-su3-2d": [("SU3", "8x8", 4.0, [], "2d", "haar"), ("SU3", "8x8", 4.0, [], "2d", "multiscale"),
                  ("SU3", "8x8", 4.0, [], "2d", "multiscale+flow")],
    # per-level coupling layers on the SU(3) doubling (they correlate and re-centre the new links)
    "ms-su3-2d-level": [("SU3", "8x8", 4.0, ["level_layers=2"], "2d", "multiscale"),
                        ("SU3", "8x8", 4.0, ["level_layers=2"], "2d", "multiscale+flow")],
    "ms-u1-4d": [("U1", "4x4x4x4", 1.0, [], "4d", "haar"), ("U1", "4x4x4x4", 1.0, [], "4d", "multiscale"),
                 ("U1", "4x4x4x4", 1.0, [], "4d", "multiscale+flow")],
    "ms-u1-3d": [("U1", "8x8x8", 1.0, [], "3d", "multiscale"), ("U1", "8x8x8", 2.0, [], "3d", "multiscale")],
    "ms-su3-4d": [("SU3", "4x4x4x4", 5.7, [], "4d", "multiscale"), ("SU3", "4x4x4x4", 5.7, [], "4d", "haar")],
    # the multiscale results table: multiscale+flow against haar at the same budget (analytic base on, U(1))
    "t-u1-4d": [("U1", "4x4x4x4", b, [], "4d", m) for b in (0.5, 1.0, 1.5, 2.0) for m in ("haar", "multiscale+flow")],
    "t-u1-4d-b1": [("U1", "4x4x4x4", 1.0, [], "4d", m) for m in ("haar", "multiscale+flow")],
    "t-u1-3d": [("U1", "8x8x8", b, [], "3d", m) for b in (1.0, 2.0, 3.0) for m in ("haar", "multiscale+flow")],
    "t-su3-2d": [("SU3", "16x16", b, [], "2d", m) for b in (4.0, 8.0, 12.0) for m in ("haar", "multiscale+flow")],
    "t-su3-4d": [("SU3", "4x4x4x4", b, [], "4d", m) for b in (5.7, 6.0) for m in ("haar", "multiscale+flow")],
    "t-su3-4d-b6": [("SU3", "4x4x4x4", 6.0, [], "4d", m) for m in ("haar", "multiscale+flow")],
    "t-u1-3d-16": [("U1", "16x16x16", 2.0, [], "3d", m) for m in ("haar", "multiscale+flow")],
    "t-u1-3d-16-b1": [("U1", "16x16x16", 1.0, [], "3d", m) for m in ("haar", "multiscale+flow")],
    "t-u1-3d-16-b3": [("U1", "16x16x16", 3.0, [], "3d", m) for m in ("haar", "multiscale+flow")],
    # the U(1) base started at the bare coupling on every level (in 4D the coupling hardly runs in the Coulomb phase,
    # where the 2D area recursion of base_start=rg makes the coarse levels far too wide)
    "t-u1-4d-bare": [("U1", "4x4x4x4", b, ["base_start=bare"], "4d", "multiscale+flow") for b in (0.5, 1.0, 1.5, 2.0)],
    # the Migdal-Kadanoff start (bond moving before the 2D decimation) against rg and bare
    "t-u1-4d-mk": [("U1", "4x4x4x4", b, ["base_start=mk"], "4d", "multiscale+flow") for b in (1.0, 1.5, 2.0)],
    "t-u1-3d-starts": [("U1", "8x8x8", 2.0, o, "3d", "multiscale+flow") for o in ([], ["base_start=bare"], ["base_start=mk"])],
    "t-u1-3d-starts-seed2": [("U1", "8x8x8", 2.0, o + ["init_seed=2"], "3d", "multiscale+flow")
                             for o in (["base_start=rg"], ["base_start=bare"], ["base_start=mk"])],
    "t-u1-4d-8": [("U1", "8x8x8x8", 1.0, [], "4d", m) for m in ("haar", "multiscale+flow")],
    # capacity of multiscale+flow at the 4^4 Coulomb-phase row (defaults against wider / deeper parts, same steps)
    "t-u1-4d-capacity": [("U1", "4x4x4x4", 1.5, o, "4d", "multiscale+flow")
                         for o in ([], ["hidden=32,32"], ["level_layers=4"], ["refine_layers=16"], ["refine_hidden=16,16"], ["flow=rqs16"])],
    "t-u1-4d-b15": [("U1", "4x4x4x4", 1.5, [], "4d", "multiscale+flow")],
    # level layers (coupling layers on each fine level: they correlate the new links of a slice in d >= 3), at equal
    # steps and against the defaults run 1.5x longer (equal training time)
    "t-level-200": [("U1", "4x4x4x4", 1.5, ["level_layers=2"], "4d", "multiscale+flow"),
                    ("U1", "4x4x4x4", 1.0, ["level_layers=4"], "4d", "multiscale+flow"),
                    ("U1", "8x8x8", 2.0, ["level_layers=4"], "3d", "multiscale+flow")],
    "t-level-su3": [("SU3", "4x4x4x4", 6.0, ["level_layers=2"], "4d", "multiscale+flow")],
    # the 3D / 4D U(1) rows again at the level-layers default
    "t-u1-3d-ms": [("U1", "8x8x8", b, [], "3d", "multiscale+flow") for b in (1.0, 2.0, 3.0)],
    "t-u1-4d-ms": [("U1", "4x4x4x4", b, [], "4d", "multiscale+flow") for b in (0.5, 1.0, 1.5, 2.0)],
    "t-u1-3d-16-ms-a": [("U1", "16x16x16", b, [], "3d", "multiscale+flow") for b in (2.0, 3.0)],
    "t-u1-3d-16-ms-b": [("U1", "16x16x16", 1.0, [], "3d", "multiscale+flow")],
    "t-level-300": [("U1", "4x4x4x4", 1.0, [], "4d", "multiscale+flow"), ("U1", "8x8x8", 2.0, [], "3d", "multiscale+flow")],
    "t-u1-4d-8-other": [("U1", "8x8x8x8", b, [], "4d", m) for b in (0.5, 1.5, 2.0) for m in ("haar", "multiscale+flow")],
    # SU(3) multiscale at its four-frame default against the one-frame model before it (haar: t-su3-2d, t-su3-4d-b6)
    "t-su3-2d-frames": [("SU3", "16x16", b, o, "2d", "multiscale+flow") for b in (4.0, 8.0, 12.0) for o in ([], ["center=midpoint"])],
    "t-su3-4d-b6-frames": [("SU3", "4x4x4x4", 6.0, [], "4d", "multiscale+flow")],
    # 3D KL of the two leading U(1) base starts at the other two couplings of the 3D row (log Z: logz_ti.py on 8^3)
    "t-u1-3d-starts-b13": [("U1", "8x8x8", b, [o], "3d", "multiscale+flow") for b in (1.0, 3.0) for o in ("base_start=mk", "base_start=bare")],
    # the SU(3) base start (first frame fitted to the one-link density at the Migdal-Kadanoff coupling) against flat
    "t-su3-4d-b6-mk": [("SU3", "4x4x4x4", 6.0, ["base_start=mk"], "4d", "multiscale+flow")],
    "t-su3-2d-b8": [("SU3", "16x16", 8.0, [], "2d", "multiscale+flow")],
    # SU(3) at the three-frame default (midpoint, staple, backstaple), the 2D and 4D rows of the results table
    "t-su3-2d-3f": [("SU3", "16x16", b, [], "2d", "multiscale+flow") for b in (4.0, 8.0, 12.0)],
    "t-su3-4d-3f": [("SU3", "4x4x4x4", b, [], "4d", "multiscale+flow") for b in (5.7, 6.0)],
    "t-su3-2d-b12-mk": [("SU3", "16x16", 12.0, o, "2d", "multiscale+flow") for o in (["base_start=mk"],)],
    # level layers on the new links of each slice (level_masks=slice) against the standard masks (4 layers, the U(1)
    # default before slice masks), U(1) 4D / 3D; options pinned, so the rows do not move with the defaults
    "t-slice-u1": [(g, lat, b, o, dim, "multiscale+flow") for (g, lat, b, dim) in (("U1", "4x4x4x4", 1.5, "4d"), ("U1", "8x8x8", 2.0, "3d"))
                   for o in (["level_layers=4", "level_masks=standard"],
                             ["level_layers=6", "level_masks=slice"] if dim == "4d" else ["level_layers=4", "level_masks=slice"])],
    # 4D SU(3) at the slice-layer default (12 level layers on the new links of each slice), one key per beta to run side by side
    "t-su3-4d-slice-b5.7": [("SU3", "4x4x4x4", 5.7, [], "4d", "multiscale+flow")],
    "t-su3-4d-slice-b6": [("SU3", "4x4x4x4", 6.0, [], "4d", "multiscale+flow")],
    # 6 slice layers at the training time of 12 (run with --steps-4d 315: 0.58 against 0.91 s/step)
    "t-slice-u1-eqtime": [("U1", "4x4x4x4", 1.5, ["level_layers=6", "level_masks=slice"], "4d", "multiscale+flow")],
    "t-slice-u1-two": [("U1", "4x4x4x4", 1.5, ["level_layers=12", "level_masks=slice"], "4d", "multiscale+flow"),
                       ("U1", "8x8x8", 2.0, ["level_layers=8", "level_masks=slice"], "3d", "multiscale+flow")],
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--runs", default="su3-2d,u1-3d4d,su3-4d")
    ap.add_argument("--steps-2d", type=int, default=500)
    ap.add_argument("--steps-3d", type=int, default=300)
    ap.add_argument("--steps-4d", type=int, default=200)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--samples", type=int, default=4096)
    ap.add_argument("--sample-batch", type=int, default=256, help="proposals per model call in sample (8^4 U(1) haar: 32 fits a 6 GiB heap)")
    ap.add_argument("--mh-configs", type=int, default=4096)
    ap.add_argument("--hb-configs", type=int, default=200)
    ap.add_argument("--hb-therm", type=int, default=100)
    ap.add_argument("--logz", action="append", default=[],
                    help="logz_ti.py JSON (thermodynamic-integration log Z of a group and lattice): KL = log Z - <log w> "
                         "with its error where no exact log Z exists; repeatable")
    ap.add_argument("--work", default="/tmp/mflow-enginebench")
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--backend", default="cpu", choices=["cpu", "host"], help="compute backend of train, sample and generate")
    a = ap.parse_args()
    if not os.path.exists(JAR):
        raise SystemExit("build first: mvn -q package -DskipTests")
    shutil.rmtree(a.work, ignore_errors=True)
    os.makedirs(a.work)
    steps = {"2d": a.steps_2d, "3d": a.steps_3d, "4d": a.steps_4d}
    def ti():  # (group, lattice) -> {beta: [log Z, stat, disc]}, reread per row (a TI run may still be writing)
        t = {}
        for f in a.logz:
            if os.path.exists(f):
                j = json.load(open(f))
                t[(j["group"], j["lattice"])] = {float(b): v for b, v in j["log_z"].items()}
        return t
    rep = ["# Flow engine across theories: haar (Haar + coupling layers) and multiscale, U(1) and SU(3), d = 2, 3, 4", "",
           "- machine: " + machine(),
           "- date: " + datetime.datetime.now().strftime("%Y-%m-%d %H:%M"),
           "- command: `python3 benchmarks/flows/engine_bench.py " + " ".join(sys.argv[1:]) + "`",
           "- backend: %s, %d threads" % (a.backend, a.threads),
           "- load average at start: " + " ".join(open("/proc/loadavg").read().split()[:3]),
           "- models at their default options: `haar` (U(1): ncp6 circle flows; SU(3): spectral4 flows; hidden 8,8; "
           "kernel 3 in 2D, 1 otherwise; 16 layers in 2D, 8d otherwise); `multiscale` (2^d Haar prior + 2d period-2 "
           "coupling layers, midpoint-centred doubling flows rqs8 / spectral4 from per-level networks hidden 16,16 on "
           "the coarse plaquettes); `multiscale+flow` (the same + 8 refinement coupling layers); batch %d, Adam lr %g, "
           "no clipping." % (a.batch, a.lr),
           "- ESS: reweighting ESS per sample on %d fresh samples with a bootstrap error; KL = log Z - <log w> "
           "(2D: exact log Z, U(1) torus sum, SU(3) V log z0; d >= 3 where --logz is given: log Z by thermodynamic "
           "integration of the heatbath plaquette, benchmarks/flows/logz_ti.py, error = TI and <log w> errors combined); var = var(log w). MH: %d proposals, plaquette "
           "(1/N) Re tr P with Gamma-method error; reference exact (2D) or heatbath (%d configs after %d sweeps, "
           "the generate default of overrelaxation sweeps per update) on the same lattice." % (a.samples, a.mh_configs, a.hb_configs, a.hb_therm), "",
           "| theory | lattice | β | model | steps | train wall (s/step) | ESS (reweighting) | KL | var(log w) | MH acceptance | "
           "MH plaquette | reference | pull |",
           "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]

    def flush(done=False):
        os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
        note = [] if done else ["", "_(run in progress or cut off: the rows above are complete measurements)_"]
        tail = ["", "## Commands run", "", "```"] + LOG + ["```", "",
                "- load average at %s: " % ("end" if done else "last row") + " ".join(open("/proc/loadavg").read().split()[:3])]
        with open(a.out, "w") as f:
            f.write("\n".join(rep + note + tail) + "\n")

    T = a.threads
    for key in a.runs.split(","):
        for row in RUNS[key]:
            (g, lat, beta, opts, sk), model = row[:5], (row[5] if len(row) > 5 else "haar")
            name = "%s-%s-b%s-%s%s" % (g, lat, beta, model, "".join("-" + o for o in opts))
            d = os.path.join(a.work, name)
            st = steps[sk]
            args = ["train", "--group", g, "--lattice", lat, "--beta", beta, "--model", model, "--steps", st,
                    "--batch", a.batch, "--lr", a.lr, "--seed", 1, "--threads", T, "--backend", a.backend, "--log-every", 50, "--out", d]
            for o in opts:
                args += ["--model-option", o]
            _, _, dt = mflow(*args)
            tf = os.path.join(d, "timing.jsonl")  # runs before timing.jsonl existed kept step_s in metrics.jsonl
            ss = sorted(json.loads(l)["step_s"] for l in open(tf if os.path.exists(tf) else os.path.join(d, "metrics.jsonl")))
            s_step = ss[len(ss) // 2]
            # 4D: no gradient flow before the clover charge (measure's default flows every configuration to t/a^2 = 1,
            # minutes per 1000 configurations on 4^4); ESS and plaquette do not need it
            NOSMOOTH = ["--smoothing", "none"] if lat.count("x") == 3 else []
            ens = os.path.join(a.work, name + "-rw")
            mflow("sample", "--model", d, "--configs", a.samples, "--batch", a.sample_batch, "--seed", 101, "--threads", T, "--backend", a.backend, "--out", ens)
            rw = json.loads(mflow("measure", "--json", "--threads", T, *NOSMOOTH, ens)[0])
            shutil.rmtree(ens, ignore_errors=True)
            mh = os.path.join(a.work, name + "-mh")
            mflow("sample", "--model", d, "--configs", a.mh_configs, "--batch", a.sample_batch, "--mh", "--seed", 102, "--threads", T, "--backend", a.backend, "--out", mh)
            mj = json.loads(mflow("measure", "--json", "--threads", T, *NOSMOOTH, mh)[0])
            shutil.rmtree(mh, ignore_errors=True)
            pl = mj["observables"]["plaquette"]
            if "exact" in pl:
                ref, ref_err, ref_s = pl["exact"], 0.0, "exact %.5f" % pl["exact"]
            else:
                hb = os.path.join(a.work, name + "-hb")
                mflow("generate", "--group", g, "--lattice", lat, "--beta", beta, "--algorithm", "heatbath",
                      "--configs", a.hb_configs, "--therm", a.hb_therm, "--seed", 7, "--threads", T, "--backend", a.backend, "--out", hb)
                hj = json.loads(mflow("measure", "--json", "--threads", T, *NOSMOOTH, hb)[0])
                shutil.rmtree(hb, ignore_errors=True)
                hp = hj["observables"]["plaquette"]
                ref, ref_err, ref_s = hp["value"], hp["error"], "heatbath %.5f ± %.5f" % (hp["value"], hp["error"])
            pull = (pl["value"] - ref) / (pl["error"] ** 2 + ref_err ** 2) ** 0.5 if pl["error"] > 0 else float("nan")
            kl = "%.3f" % rw["kl_exact"] if "kl_exact" in rw else "—"
            lz = ti().get((g, lat), {}).get(float(beta))
            if "kl_exact" not in rw and lz is not None and "mean_log_w" in rw:
                vol = 1
                for e in lat.split("x"):
                    vol *= int(e)
                disc = lz[2] if lz[2] == lz[2] else 0.0
                err = (lz[1] ** 2 + disc ** 2 + rw["mean_log_w_error"] ** 2) ** 0.5
                k = lz[0] - rw["mean_log_w"]
                kl = "%.1f ± %.1f (TI; %.3f/site)" % (k, err, k / vol)
            rep.append("| %s %dD | %s | %g | %s%s | %d | %.0f s (%.2f) | %.4f ± %.4f | %s | %.3g | %.4f ± %.4f | %.5f ± %.5f | %s | %+.1f |" % (
                g, lat.count("x") + 1, lat, beta, model, "".join(" " + o for o in opts), st, dt, s_step, rw["ess"], rw["ess_error"], kl, rw["var_log_w"],
                mj.get("acceptance", float("nan")), mj.get("acceptance_error", float("nan")), pl["value"], pl["error"],
                ref_s, pull))
            flush()
    flush(done=True)


if __name__ == "__main__":
    main()
