#!/usr/bin/python3
"""Independent reader of ILDG/LIME gauge configurations, used only by IldgExportTest (no mflow-hpc code).

Usage: ildg_read.py FILE.lime SHARD.h5 INDEX LFN
  Parses the LIME records of FILE from the LIME 1.2 layout (144-byte big-endian header: magic 0x456789ab, version 1,
  MB/ME flags in bits 15/14, int64 data length, 128-byte NUL-padded type; data padded with zeros to 8 bytes),
  checks the MB/ME message structure, the ILDG records (ildg-format XML in the ILDG namespace: field su3gauge,
  precision 32|64, lx ly lz lt; ildg-data-lfn == LFN; ildg-binary-data of V*4*3*3 complex big-endian words), the
  SciDAC checksum (per site CRC32 with zlib, suma/sumb = XOR of rotl(crc, rank % 29 / 31)), SU(3) unitarity, and
  computes the plaquette (1/3) Re tr U_mu(x) U_nu(x+mu) U_mu(x+nu)^+ U_nu(x)^+ averaged over sites and 6 planes.
  Then compares with configuration INDEX of the HDF5 shard read with h5py: links identical (64-bit) or equal to
  float32 rounding (32-bit), plaquette equal to the shard's stored plaquette within 1e-12 (64-bit) / 1e-6 (32-bit),
  usqcdInfo plaq equal to the computed plaquette. Prints "ILDG-OK <plaquette as hex>" or fails with an assertion.
"""
import struct
import sys
import xml.etree.ElementTree as ET
import zlib

import h5py
import numpy as np

MAGIC = 0x456789AB
NS = "{http://www.lqcd.org/ildg}"


def records(path):
    out = []
    with open(path, "rb") as f:
        blob = f.read()
    pos = 0
    while pos < len(blob):
        assert len(blob) - pos >= 144, "truncated LIME header at %d" % pos
        magic, version, flags, size, rtype = struct.unpack(">IhHq128s", blob[pos:pos + 144])
        assert magic == MAGIC, "bad LIME magic %x at %d" % (magic, pos)
        assert version == 1, "LIME version %d" % version
        assert flags & 0x3FFF == 0, "reserved LIME flag bits set"
        assert size >= 0
        name = rtype.split(b"\0", 1)[0].decode("ascii")
        assert rtype[len(name):] == b"\0" * (128 - len(name)), "type not NUL padded"
        data = blob[pos + 144:pos + 144 + size]
        assert len(data) == size, "truncated record " + name
        padded = (size + 7) // 8 * 8
        assert blob[pos + 144 + size:pos + 144 + padded] == b"\0" * (padded - size), "padding of %s not zero" % name
        out.append((name, bool(flags & 0x8000), bool(flags & 0x4000), data))
        pos += 144 + padded
    assert pos == len(blob)
    return out


def main():
    path, shard, index, lfn = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    recs = records(path)
    # message structure: first record MB; a record follows an ME iff it has MB; last record ME
    assert recs[0][1], "first record must have MB"
    for (a, _, me_a, _), (b, mb_b, _, _) in zip(recs, recs[1:]):
        assert me_a == mb_b, "MB/ME inconsistent between %s and %s" % (a, b)
    assert recs[-1][2], "last record must have ME"
    by = {}
    for name, _, _, data in recs:
        assert name not in by, "duplicate record " + name
        by[name] = data
    for need in ("ildg-format", "ildg-binary-data", "ildg-data-lfn", "scidac-checksum"):
        assert need in by, "missing record " + need
    names = [r[0] for r in recs]
    assert names.index("ildg-format") < names.index("ildg-binary-data")
    fmt = ET.fromstring(by["ildg-format"])
    assert fmt.tag == NS + "ildgFormat", fmt.tag
    get = lambda k: fmt.find(NS + k).text.strip()
    assert get("field") == "su3gauge"
    prec = int(get("precision"))
    assert prec in (32, 64)
    dims = [int(get(k)) for k in ("lx", "ly", "lz", "lt")]
    lx, ly, lz, lt = dims
    V = lx * ly * lz * lt
    assert by["ildg-data-lfn"].decode() == lfn, (by["ildg-data-lfn"], lfn)
    binary = by["ildg-binary-data"]
    word = prec // 8
    site = 4 * 9 * 2 * word
    assert len(binary) == V * site, (len(binary), V * site)

    cks = ET.fromstring(by["scidac-checksum"])
    suma_rec, sumb_rec = int(cks.find("suma").text, 16), int(cks.find("sumb").text, 16)
    suma = sumb = 0
    for r in range(V):
        c = zlib.crc32(binary[r * site:(r + 1) * site]) & 0xFFFFFFFF
        a, b = r % 29, r % 31
        suma ^= ((c << a) | (c >> (32 - a))) & 0xFFFFFFFF
        sumb ^= ((c << b) | (c >> (32 - b))) & 0xFFFFFFFF
    assert (suma, sumb) == (suma_rec, sumb_rec), "SciDAC checksum: computed %x %x, record %x %x" % (suma, sumb, suma_rec, sumb_rec)

    U = np.frombuffer(binary, dtype=">c%d" % (2 * word)).astype(np.complex128).reshape(lt, lz, ly, lx, 4, 3, 3)
    eye = np.eye(3)
    dev = np.abs(U @ np.conj(np.swapaxes(U, -1, -2)) - eye).max()
    ddet = np.abs(np.linalg.det(U) - 1).max()
    tol = 1e-12 if prec == 64 else 1e-5
    assert dev < tol and ddet < tol, ("not SU(3)", dev, ddet)

    def shift(a, mu):  # a(x + mu); axes are (t, z, y, x): direction mu is axis 3 - mu
        return np.roll(a, -1, axis=3 - mu)

    total = 0.0
    for mu in range(4):
        for nu in range(mu + 1, 4):
            Um, Un = U[..., mu, :, :], U[..., nu, :, :]
            P = Um @ shift(Un, mu) @ np.conj(np.swapaxes(shift(Um, nu), -1, -2)) @ np.conj(np.swapaxes(Un, -1, -2))
            total += np.trace(P, axis1=-2, axis2=-1).real.sum()
    plaq = total / (3.0 * 6 * V)

    info = ET.fromstring(by["scidac-record-xml"])
    assert info.tag == "usqcdInfo"
    assert abs(float(info.find("plaq").text) - plaq) < (1e-12 if prec == 64 else 1e-6), (info.find("plaq").text, plaq)

    with h5py.File(shard, "r") as f:
        assert f.attrs["group"] in (b"SU3", "SU3")
        assert list(f.attrs["lattice"]) == dims, (list(f.attrs["lattice"]), dims)
        cfg = f["configs"][index]  # [mu, site, 18], site = x + lx*(y + ly*(z + lz*t))
        stored_plaq = float(f["plaquette"][index])
    H = cfg.view(np.complex128).reshape(4, lt, lz, ly, lx, 3, 3).transpose(1, 2, 3, 4, 0, 5, 6)
    if prec == 64:
        assert np.array_equal(H, U), "links differ from the HDF5 shard"
        assert abs(plaq - stored_plaq) < 1e-12, (plaq, stored_plaq)
    else:
        assert np.array_equal(H.astype(np.complex64).astype(np.complex128), U), "links differ from float32(HDF5 links)"
        assert abs(plaq - stored_plaq) < 1e-6, (plaq, stored_plaq)
    print("ILDG-OK", float(plaq).hex(), "prec", prec)


if __name__ == "__main__":
    main()
