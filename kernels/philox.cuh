// kernels/philox.cuh -- Philox-4x32-10 and the (seed, domain, step, site) random streams, identical to
// org.mflowhpc.rng.Philox and org.mflowhpc.rng.RngStream (same words, same doubles).
//
// Contract. philoxBlock(ctr[4], key[2]) -> 4 words: 10 rounds, multipliers M0 = 0xD2511F53, M1 = 0xCD9E8D57, Weyl
// key increments W0 = 0x9E3779B9, W1 = 0xBB67AE85 (Salmon et al., SC'11; Random123 known-answer vectors are
// checked in PhiloxTest and, for this code, in HostBackendTest). Rng(seed, domain, step, site) is the stream with
// counter (c0 = block index, c1 = (int) site, c2 = (int) step, c3 = domain ^ hi(step)*0x10001 ^ hi(site)*0x1000193)
// and key (lo(seed), hi(seed)); uniform() = ((hi << 21) ^ (lo >> 11) + 0.5) 2^-53 in (0, 1) from two words,
// gaussian() = Box-Muller pairs (cos first, the sin value cached), angle() = pi (2u - 1). Integer words are
// bit-identical to Java on every device; uniform() is exact arithmetic and so bit-identical too; gaussian() uses
// log, sqrt, sin, cos (an ulp from Java's Math).
//
// Cost: 10 rounds x (2 32x32->64 multiplies + 4 xor + 2 adds) per 128 random bits; no memory traffic (registers).
#pragma once

#include "core.cuh"

namespace mflow {

constexpr uint32_t PHILOX_M0 = 0xD2511F53u, PHILOX_M1 = 0xCD9E8D57u;
constexpr uint32_t PHILOX_W0 = 0x9E3779B9u, PHILOX_W1 = 0xBB67AE85u;

/** Philox-4x32-10 of (c0..c3) under key (k0, k1) into out[0..3]. */
MFLOW_HD void philoxBlock(uint32_t c0, uint32_t c1, uint32_t c2, uint32_t c3, uint32_t k0, uint32_t k1, uint32_t* out) {
    for (int r = 0; r < 10; r++) {
        if (r > 0) { k0 += PHILOX_W0; k1 += PHILOX_W1; }
        uint64_t p0 = (uint64_t) PHILOX_M0 * c0;
        uint64_t p1 = (uint64_t) PHILOX_M1 * c2;
        uint32_t hi0 = (uint32_t) (p0 >> 32), lo0 = (uint32_t) p0;
        uint32_t hi1 = (uint32_t) (p1 >> 32), lo1 = (uint32_t) p1;
        c0 = hi1 ^ c1 ^ k0;
        c1 = lo1;
        c2 = hi0 ^ c3 ^ k1;
        c3 = lo0;
    }
    out[0] = c0; out[1] = c1; out[2] = c2; out[3] = c3;
}

/** Uniform double in (0, 1) from two words (53 random bits), Philox.toOpenUnit. */
MFLOW_HD double toOpenUnit(uint32_t hi, uint32_t lo) {
    uint64_t m = ((uint64_t) hi << 21) ^ ((uint64_t) lo >> 11);
    return ((double) (int64_t) m + 0.5) * 0x1.0p-53;
}

/** One random stream (RngStream): not shared between threads. */
struct Rng {
    uint32_t k0, k1, c1, c2, c3, block;
    uint32_t buf[4];
    int pos;
    double spare;
    bool hasSpare;

    MFLOW_HD Rng(int64_t seed, int domain, int64_t step, int64_t site) {
        k0 = (uint32_t) seed;
        k1 = (uint32_t) ((uint64_t) seed >> 32);
        c1 = (uint32_t) site;
        c2 = (uint32_t) step;
        // Java: domain ^ (int) (step >>> 32) * 0x10001 ^ (int) (site >>> 32) * 0x1000193 (32-bit wrapping)
        c3 = (uint32_t) domain ^ ((uint32_t) ((uint64_t) step >> 32) * 0x10001u)
                ^ ((uint32_t) ((uint64_t) site >> 32) * 0x1000193u);
        block = 0;
        pos = 4;
        spare = 0;
        hasSpare = false;
    }

    MFLOW_HD uint32_t nextInt() {
        if (pos == 4) {
            philoxBlock(block++, c1, c2, c3, k0, k1, buf);
            pos = 0;
        }
        return buf[pos++];
    }

    MFLOW_HD double uniform() {
        uint32_t hi = nextInt();
        uint32_t lo = nextInt();
        return toOpenUnit(hi, lo);
    }

    MFLOW_HD double gaussian() {
        if (hasSpare) { hasSpare = false; return spare; }
        double u1 = uniform(), u2 = uniform();
        double r = std::sqrt(-2.0 * std::log(u1));
        double a = 2.0 * PI * u2;
        spare = r * std::sin(a);
        hasSpare = true;
        return r * std::cos(a);
    }

    MFLOW_HD double angle() { return PI * (2.0 * uniform() - 1.0); }
};

/** Random-number domains (RngStream.Domain). */
namespace domain {
constexpr int INIT = 1, HEATBATH = 2, OVERRELAX = 3, HMC_MOMENTA = 4, HMC_ACCEPT = 5, GAUGE = 6, NN_INIT = 7,
              FLOW_PRIOR = 8, FLOW_GAUGE = 9, MH_ACCEPT = 10, BOOTSTRAP = 11, TEST = 99;
}

}  // namespace mflow
