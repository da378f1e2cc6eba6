#!/usr/bin/env python3
"""End-to-end flow benchmarks for mflow-hpc (issue: multiscale flows for 2D U(1)).

Contract: drives the built jar (target/mflow-hpc.jar) through `mflow train`, `mflow sample`, `mflow measure --json`
and `mflow generate`, and writes one Markdown report with the machine, date and exact commands. Python standard
library only. Every ESS is measured on >= 4096 fresh samples from the model (reweighting mode, seed distinct from
training) with a bootstrap error, next to KL = log Z_exact - <log w> and var(log w). Sections (choose with --sections):

  tutorial  L=8, beta=2, batch 64, Adam 1e-3, STEPS steps: "Haar + flow" and "Multiscale" (+ s/step)
  betas     L=16 (and --l32) at beta = 8, 12, 16: multiscale vs haar; ESS after each quarter of training
  tau       L=16, beta=6: tau_int(Q) of the flow's independence-MH chain vs HMC; CPU-seconds per independent Q
  scaling   training steps/s and generated configs/s vs L = 8, 16, 32, 64

Usage: python3 benchmarks/flows/flow_bench.py --out benchmarks/results/DATE-flows.md [--sections tutorial,betas]
       [--steps 1000] [--beta-steps 1000] [--work /tmp/flowbench] [--threads 2]
"""
import argparse, datetime, json, os, platform, shutil, subprocess, sys, time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
JAR = os.path.join(ROOT, "target", "mflow-hpc.jar")
LOG = []
BACKEND = ["--backend", "cpu"]  # set from --backend: the compute backend of train, sample and generate


def mflow(*args, capture=True):
    cmd = ["java", "-jar", JAR] + [str(a) for a in args]
    LOG.append(" ".join(cmd[2:]).replace(JAR, "target/mflow-hpc.jar"))
    t0 = time.time()
    p = subprocess.run(cmd, capture_output=capture, text=True, env=dict(os.environ, MFLOW_PROGRESS="plain"))
    dt = time.time() - t0
    if p.returncode != 0:
        sys.stderr.write(p.stderr or "")
        raise SystemExit("failed: " + " ".join(cmd))
    return p.stdout, p.stderr, dt


def metrics(run_dir):
    """metrics.jsonl rows, each merged with its timing.jsonl row (step_s, wall_s live there since 2026-12-01)."""
    rows = []
    with open(os.path.join(run_dir, "metrics.jsonl")) as f:
        for line in f:
            rows.append(json.loads(line))
    tp = os.path.join(run_dir, "timing.jsonl")
    if os.path.exists(tp):
        with open(tp) as f:
            by_step = {r["step"]: r for r in map(json.loads, f)}
        for r in rows:
            r.update({k: v for k, v in by_step.get(r["step"], {}).items() if k != "step"})
    return rows


def evaluate(model_dir, work, n, seed, threads):
    ens = os.path.join(work, "eval-" + os.path.basename(model_dir) + "-" + str(len(LOG)))
    _, err, dt = mflow("sample", "--model", model_dir, "--configs", n, "--seed", seed, "--threads", threads, *BACKEND, "--out", ens)
    out, _, _ = mflow("measure", "--json", "--loops", "1x1", "--threads", threads, ens)
    j = json.loads(out)
    shutil.rmtree(ens, ignore_errors=True)
    return j, dt


def train(work, name, lattice, beta, model, steps, batch, seed, threads, extra=(), resume=False):
    d = os.path.join(work, name)
    args = ["train", "--lattice", lattice, "--beta", beta, "--model", model, "--steps", steps, "--batch", batch,
            "--seed", seed, "--threads", threads, *BACKEND, "--log-every", 50, "--out", d] + list(extra)
    if resume:
        args.append("--resume")
    _, err, dt = mflow(*args)
    params = ""
    for line in err.splitlines():
        if " parameters, batch" in line:
            params = line.split(" parameters, batch")[0].rsplit(" ", 1)[-1]
    train.params = params
    return d, dt


def fmt_ess(j):
    return "%.4f ± %.4f" % (j["ess"], j["ess_error"])


def machine():
    cpu = "unknown"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip(); break
    except OSError:
        pass
    mem = ""
    try:
        mem = open("/proc/meminfo").readline().split(":")[1].strip()
    except OSError:
        pass
    jv = subprocess.run(["java", "-version"], capture_output=True, text=True).stderr.splitlines()[0]
    return "%s, %d hardware threads, %s RAM, %s, %s" % (cpu, os.cpu_count(), mem, jv, platform.platform())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--sections", default="tutorial,betas,tau,scaling")
    ap.add_argument("--steps", type=int, default=1000, help="tutorial training steps")
    ap.add_argument("--beta-steps", type=int, default=1000, help="training steps per beta on L=16")
    ap.add_argument("--betas", default="8,12,16")
    ap.add_argument("--l32", action="store_true", help="also L=32 in the betas section")
    ap.add_argument("--models", default="multiscale,haar", help="models of the beta scan (model[key=value;...] passes --model-option)")
    ap.add_argument("--tutorial-models", default="haar,haar[flow=ncp2],multiscale,multiscale+flow",
                    help="models of the tutorial section; model[key=value;...] passes --model-option")
    ap.add_argument("--l32-models", default="multiscale")
    ap.add_argument("--lr", type=float, default=5e-4, help="Adam lr of the beta scan and tau sections")
    ap.add_argument("--clip", type=float, default=50.0, help="gradient-norm clip of the beta scan and tau sections")
    ap.add_argument("--samples", type=int, default=4096)
    ap.add_argument("--scale-steps", type=int, default=60, help="training steps per volume in the scaling section")
    ap.add_argument("--tau-configs", type=int, default=8192)
    ap.add_argument("--work", default="/tmp/mflow-flowbench")
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--backend", default="cpu", choices=["cpu", "host"], help="compute backend of train and sample")
    a = ap.parse_args()
    BACKEND[1] = a.backend
    if not os.path.exists(JAR):
        raise SystemExit("build first: mvn -q package -DskipTests")
    shutil.rmtree(a.work, ignore_errors=True)
    os.makedirs(a.work)
    sections = a.sections.split(",")
    rep = ["# Flow benchmarks (2D U(1))", "",
           "- machine: " + machine(),
           "- date: " + datetime.datetime.now().strftime("%Y-%m-%d %H:%M"),
           "- command: `python3 benchmarks/flows/flow_bench.py " + " ".join(sys.argv[1:]) + "`",
           "- load average at start: " + " ".join(open("/proc/loadavg").read().split()[:3]),
           "- ESS: reweighting ESS per sample, (Σw)²/(NΣw²), on %d fresh samples (sampling seed ≠ training seed), "
           "bootstrap error (200 resamples); KL = log Z_exact − ⟨log w⟩ with log Z from the character expansion; "
           "var = var(log w)." % a.samples, ""]
    T = a.threads

    def flush(done=False):
        # the report is rewritten after every row, so a run cut off midway still leaves what it measured
        os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
        note = [] if done else ["_(run in progress or cut off: the rows above are complete measurements)_", ""]
        tail = ["## Commands run", "", "```"] + LOG + ["```", "",
                "- load average at %s: " % ("end" if done else "last row") + " ".join(open("/proc/loadavg").read().split()[:3])]
        with open(a.out, "w") as f:
            f.write("\n".join(rep + note + tail) + "\n")

    if "tutorial" in sections:
        rep += ["## Tutorial setting: L=8, β=2, batch 64, Adam 1e-3, %d steps" % a.steps, "",
                "The last-100-steps column is the mean ESS of the 64-sample training batches (what a training log "
                "prints, and how the tutorial's figure was read); the fresh-sample column is the model's ESS.", "",
                "| model | parameters | ESS (%d fresh) | training-batch ESS, mean of last 100 steps | KL | var(log w) | s/step (median) | training wall s |" % a.samples,
                "|---|---|---|---|---|---|---|---|"]
        for spec in a.tutorial_models.split(","):
            # "model" or "model[key=value;key=value]" (model options, e.g. haar[flow=ncp2])
            model, opts = (spec.split("[", 1) + [""])[:2]
            extra = ["--lr", 1e-3]
            for kv in filter(None, opts.rstrip("]").split(";")):
                extra += ["--model-option", kv]
            tag = spec.replace("+", "p").replace("[", "-").replace("]", "").replace(";", "-").replace("=", "")
            d, dt = train(a.work, "tut-" + tag, "8x8", 2.0, model, a.steps, 64, 1, T, extra=extra)
            m = metrics(d)
            sps = sorted(r["step_s"] for r in m)[len(m) // 2]
            last = [r["ess"] for r in m[-100:]]
            j, _ = evaluate(d, a.work, a.samples, 99, T)
            rep.append("| %s | %s | %s | %.3f | %.3f | %.3f | %.3f | %.0f |" % (spec, train.params, fmt_ess(j), sum(last) / len(last),
                                                                              j["kl_exact"], j["var_log_w"], sps, dt))
            flush()
        rep.append("")

    if "betas" in sections:
        Ls = ["16x16"] + (["32x32"] if a.l32 else [])
        rep += ["## β scan: multiscale vs Haar + flow, %d steps, batch 64, Adam lr %g, gradient clip %g" % (a.beta_steps, a.lr, a.clip), "",
                "ESS after each quarter of training (growth with steps), all on %d fresh samples." % a.samples, "",
                "| L | β | model | step | ESS | KL | var(log w) | cumulative training s |", "|---|---|---|---|---|---|---|---|"]
        for L in Ls:
            for beta in [float(b) for b in a.betas.split(",")]:
                for spec in (a.models if L == "16x16" else a.l32_models).split(","):
                    # "model" or "model[key=value;key=value]" as in the tutorial section
                    model, opts = (spec.split("[", 1) + [""])[:2]
                    extra = ["--lr", a.lr, "--clip", a.clip]
                    for kv in filter(None, opts.rstrip("]").split(";")):
                        extra += ["--model-option", kv]
                    name = "b%s-%s-%s" % (beta, L, spec.replace("+", "p").replace("[", "-").replace("]", "").replace(";", "-").replace("=", ""))
                    total = 0.0
                    for q in range(1, 5):
                        st = a.beta_steps * q // 4
                        d, dt = train(a.work, name, L, beta, model, st, 64, 1, T, extra=extra, resume=q > 1)
                        total += dt
                        j, _ = evaluate(d, a.work, a.samples, 99, T)
                        rep.append("| %s | %g | %s | %d | %s | %.2f | %.2f | %.0f |" % (L, beta, spec, st, fmt_ess(j), j["kl_exact"], j["var_log_w"], total))
                        flush()
        rep.append("")

    if "tau" in sections:
        rep += ["## τ_int(Q) at β=6, L=16: flow independence MH vs HMC", ""]
        d, ttrain = train(a.work, "tau-ms", "16x16", 6.0, "multiscale", a.beta_steps, 64, 1, T, extra=("--lr", a.lr, "--clip", a.clip))
        ens = os.path.join(a.work, "tau-mh")
        _, _, ts = mflow("sample", "--model", d, "--configs", a.tau_configs, "--mh", "--seed", 5, "--threads", T, "--out", ens)
        jf = json.loads(mflow("measure", "--json", "--loops", "1x1", ens)[0])
        hm = os.path.join(a.work, "tau-hmc")
        _, _, th = mflow("generate", "--group", "U1", "--lattice", "16x16", "--beta", 6.0, "--algorithm", "hmc", "--configs",
                         a.tau_configs, "--therm", 500, "--hmc-steps", 20, "--hmc-tau", 1.0, "--seed", 5, "--threads", T, "--out", hm)
        jh = json.loads(mflow("measure", "--json", "--loops", "1x1", hm)[0])
        rep += ["| sampler | configs | τ_int(Q) | χ_t | acceptance | wall s | CPU-s per independent Q (2τ_int × s/config) | same, training included |",
                "|---|---|---|---|---|---|---|---|"]
        for name, j, t, extra_s in (("flow MH (multiscale, %d training steps, %.0f s training)" % (a.beta_steps, ttrain), jf, ts, ttrain),
                                    ("HMC (τ=1, 20 leapfrog steps, 500 thermalisation)", jh, th, 0.0)):
            q = j["observables"]["Q"]; c = j["observables"]["chi_t"]
            n = j["configurations"]
            rep.append("| %s | %d | %.2f ± %.2f | %.5f ± %.5f (exact %.5f) | %s | %.0f | %.4f | %.4f |" % (
                name, n, q["tau_int"], q["tau_int_error"], c["value"], c["error"], c["exact"],
                "%.3f" % j["acceptance"] if "acceptance" in j else "-", t, 2 * q["tau_int"] * t / n * T,
                2 * q["tau_int"] * (t + extra_s) / n * T))
        rep += ["", "Wall times include JVM start-up and HDF5 writing; CPU-s = wall s × %d threads." % T, ""]

    if "scaling" in sections:
        rep += ["## Cost vs volume (multiscale, batch 64)", "",
                "Training: %d steps, s/step = median of the last %d (after JIT warm-up); sampling: 1024 configurations in one "
                "run (JIT warm-up included, HDF5 writing included)." % (a.scale_steps, a.scale_steps // 2), "",
                "| L | V | training s/step | steps/s | s/step per 1000 sites | sampling configs/s (1024, reweighting) |",
                "|---|---|---|---|---|---|"]
        for L in (8, 16, 32, 64):
            d, _ = train(a.work, "scale-%d" % L, "%dx%d" % (L, L), 4.0, "multiscale", a.scale_steps, 64, 1, T)
            m = metrics(d)[a.scale_steps - a.scale_steps // 2:]
            sps = sorted(r["step_s"] for r in m)[len(m) // 2]
            ens = os.path.join(a.work, "scale-ens-%d" % L)
            _, err, _ = mflow("sample", "--model", d, "--configs", 1024, "--seed", 3, "--threads", T, "--out", ens)
            import re
            rate = re.findall(r"\(([0-9.]+) configs/s\)", err)
            cps = rate[-1] if rate else "?"
            rep.append("| %d | %d | %.4f | %.2f | %.4f | %s |" % (L, L * L, sps, 1 / sps, sps / (L * L) * 1000, cps))
            flush()
            shutil.rmtree(ens, ignore_errors=True)
        rep.append("")

    flush(done=True)
    print(open(a.out).read())


if __name__ == "__main__":
    main()
