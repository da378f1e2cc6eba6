#!/usr/bin/python3
"""Plaquette by plane and by the parities of the perpendicular coordinates: where a multiscale flow's proposals
differ from the target.

Contract. Input: one or more ensemble directories (HDF5 shards, docs/hdf5-schema.md: configs[b, mu, site, k],
site = x0 + L0*(x1 + ...), U(1) angles or SU(3) 3x3 complex row-major re/im interleaved), read with h5py and numpy
only (Debian's /usr/bin/python3 with python3-h5py). For every plane (mu, nu), mu < nu, and every parity pattern
(x_s mod 2 for the directions s outside the plane, in increasing s) it averages the plaquette
(1/N) Re tr P_{mu nu}(x), P = U_mu(x) U_nu(x+mu) U_mu(x+nu)^dag U_nu(x)^dag, over all configurations and all sites of
that class, unweighted (what the sampler proposes; for flow-reweight ensembles the proposals, not the reweighted
target). Error: the standard deviation over configurations of the per-configuration class mean / sqrt(n) (configurations
taken as independent: right for flow proposals and for spaced heatbath configurations).

Why these classes: a multiscale doubling in direction s creates the links of the odd s-slice, and the plaquettes of
a plane (mu, nu) with s outside it and x_s odd are made of new links only (the in-slice plaquettes); the other
classes contain coarse copies or split halves. A flow that samples the new links of a slice independently given their
(s, mu) staples leaves the in-slice classes near 0 (Haar) while the others approach the target: this table shows it.

Output: a markdown table on stdout (or --out), one column per ensemble. Cost: 8 SU(3) products per plaquette, the
whole ensemble streamed shard by shard.

Usage: /usr/bin/python3 benchmarks/flows/plaquette_classes.py DIR [DIR ...] [--label NAME ...] [--max-configs N] [--out FILE]
"""
import argparse
import glob
import itertools
import os
import sys

import h5py
import numpy as np


def shards(d):
    fs = sorted(glob.glob(os.path.join(d, "shard-*.h5")))
    if not fs:
        sys.exit("plaquette_classes: no shard-*.h5 in %s" % d)
    return fs


def links(h, group):
    """configs as complex matrices [n, d, V, N, N] (U(1): N = 1)."""
    c = h["configs"][...]
    if group == "U1":
        return np.exp(1j * c[..., 0])[..., None, None]
    z = c[..., 0::2] + 1j * c[..., 1::2]
    return z.reshape(c.shape[:3] + (3, 3))


def dag(m):
    return np.conj(np.swapaxes(m, -1, -2))


def class_means(d, max_configs):
    """{(mu, nu, parity tuple): per-configuration means}, lattice, group."""
    out, lat, group, seen = {}, None, None, 0
    for f in shards(d):
        with h5py.File(f, "r") as h:
            group = h.attrs["group"].decode() if isinstance(h.attrs["group"], bytes) else str(h.attrs["group"])
            lat = [int(x) for x in h.attrs["lattice"]]
            u = links(h, group)
        if max_configs and seen + u.shape[0] > max_configs:
            u = u[: max_configs - seen]
        seen += u.shape[0]
        dim, n, nc = len(lat), u.shape[0], u.shape[-1]
        # [n, mu, x_{d-1}, ..., x_0, N, N]: numpy axis of x_k in a per-direction field is dim - k
        f_ = u.reshape((n, dim) + tuple(lat[::-1]) + (nc, nc))
        coords = np.indices(lat[::-1])  # coords[dim-1-k] = x_k
        for mu, nu in itertools.combinations(range(dim), 2):
            um, un = f_[:, mu], f_[:, nu]
            p = um @ np.roll(un, -1, axis=dim - mu) @ dag(np.roll(um, -1, axis=dim - nu)) @ dag(un)
            tr = np.real(np.trace(p, axis1=-2, axis2=-1)) / nc  # [n, x_{d-1}, ..., x_0]
            perp = [s for s in range(dim) if s not in (mu, nu)]
            for par in itertools.product((0, 1), repeat=len(perp)):
                m = np.ones(tuple(lat[::-1]), dtype=bool)
                for s, q in zip(perp, par):
                    m &= coords[dim - 1 - s] % 2 == q
                out.setdefault((mu, nu, par), []).append(tr[:, m].mean(axis=1))
        if max_configs and seen >= max_configs:
            break
    return {k: np.concatenate(v) for k, v in out.items()}, lat, group


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("dirs", nargs="+")
    ap.add_argument("--label", action="append", default=[])
    ap.add_argument("--max-configs", type=int, default=0)
    ap.add_argument("--out")
    a = ap.parse_args()
    labels = a.label + [os.path.basename(os.path.normpath(d)) for d in a.dirs[len(a.label):]]
    res = []
    for d in a.dirs:
        r, lat, group = class_means(d, a.max_configs)
        res.append((r, lat, group))
    if len({(tuple(l), g) for _, l, g in res}) != 1:
        sys.exit("plaquette_classes: the ensembles differ in group or lattice")
    _, lat, group = res[0]
    lines = ["%s %s: plaquette (1/N) Re tr P by plane (mu, nu) and parities of the perpendicular coordinates "
             "(unweighted; error: std over configurations / sqrt(n))" % (group, "x".join(map(str, lat))), "",
             "| plane | perpendicular parities | " + " | ".join("%s (n = %d)" % (lb, len(next(iter(r.values())))) for lb, (r, _, _) in zip(labels, res)) + " |",
             "|---|---|" + "---|" * len(res)]
    for key in sorted(res[0][0]):
        mu, nu, par = key
        perp = [s for s in range(len(lat)) if s not in (mu, nu)]
        cls = ", ".join("x%d %s" % (s, "odd" if q else "even") for s, q in zip(perp, par)) or "-"
        cells = []
        for r, _, _ in res:
            v = r[key]
            cells.append("%.4f ± %.4f" % (v.mean(), v.std(ddof=1) / np.sqrt(len(v)) if len(v) > 1 else 0.0))
        lines.append("| %d%d | %s | %s |" % (mu, nu, cls, " | ".join(cells)))
    text = "\n".join(lines) + "\n"
    if a.out:
        with open(a.out, "w") as fh:
            fh.write(text)
    sys.stdout.write(text)


if __name__ == "__main__":
    main()
