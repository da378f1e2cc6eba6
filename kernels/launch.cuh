// kernels/launch.cuh -- conventions of the __global__ wrappers in kernels/*.cu (device code only).
//
// Contract. Every kernel is extern "C" (unmangled names, resolved once by the CUDA backend with cuModuleGetFunction),
// takes device pointers and sizes by value, and maps one thread to one item of a grid-stride loop over n items
// (ITEMS(i, n)), so any launch configuration covers the range; items are what the comment of each kernel says (site,
// link, element). Per-item work is the MFLOW_HD function of the kernel family's header, the same code the host
// library runs, so device results equal the host's (bit for bit where no transcendental is involved: device builds
// use -fmad=false). Ops whose reference accumulates into shared links in a fixed order (the *Backward scatter-adds)
// run one thread per configuration, serially in the reference's order: deterministic and bit-identical, at the
// price of parallelism over configurations only.
//
// Flops / bytes: stated per kernel in each .cu file.
#pragma once

#include "core.cuh"

#define MFLOW_KERNEL extern "C" __global__ void
#define ITEMS(i, n) for (int64_t i = (int64_t) blockIdx.x * blockDim.x + threadIdx.x; i < (int64_t) (n); \
                         i += (int64_t) blockDim.x * gridDim.x)
