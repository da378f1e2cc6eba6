// kernels/emu/cuda_emu.hpp -- a CPU stand-in for the CUDA execution model, to run kernels/*.cu on a machine without a
// GPU (tests of the device code's indexing and synchronisation, not of its speed or of CUDA's arithmetic).
//
// Contract. Include this before a kernels/*.cu file and compile with a host C++20 compiler (g++ -std=c++20 -pthread).
// __global__ / __device__ / __host__ vanish, __shared__ becomes `static` (one block runs at a time, so a static array
// is exactly the block's shared memory), blockIdx / threadIdx / blockDim / gridDim are thread-local, and
// emu::launch(grid, block, kernel, args...) runs the blocks of the grid one after another on blockDim.x real threads
// that meet at __syncthreads() (a std::barrier) and after each block: a kernel that reads shared memory before a
// barrier or diverges around one misbehaves here as on a GPU. One-dimensional blocks only (the kernels use threadIdx.x);
// grids may be three-dimensional. fma() is std::fma (exact fused multiply-add, as on the device).
#pragma once

#include <barrier>
#include <cmath>
#include <cstdint>
#include <thread>
#include <vector>

struct emu_dim3 {
    unsigned x = 1, y = 1, z = 1;
};

inline thread_local emu_dim3 threadIdx, blockIdx;
inline emu_dim3 blockDim, gridDim;
inline std::barrier<>* emu_barrier = nullptr;

#define __global__
#define __device__
#define __host__
#define __shared__ static
#define __restrict__
#define __forceinline__ inline

inline void __syncthreads() { emu_barrier->arrive_and_wait(); }

namespace emu {

/**
 * Runs kernel(args...) over grid x block: block.x threads (created once per launch) run the blocks one after
 * another, meeting at a barrier after each block, so a block's shared (static) arrays are never touched by the next
 * block before every thread of this one is done.
 */
template <class K, class... A>
void launch(emu_dim3 grid, unsigned block, K kernel, A... args) {
    gridDim = grid;
    blockDim = emu_dim3{block, 1, 1};
    std::barrier<> bar((std::ptrdiff_t) block);
    emu_barrier = &bar;
    std::vector<std::thread> ts;
    ts.reserve(block);
    for (unsigned t = 0; t < block; t++)
        ts.emplace_back([=, &bar] {
            threadIdx = emu_dim3{t, 0, 0};
            for (unsigned bz = 0; bz < grid.z; bz++)
                for (unsigned by = 0; by < grid.y; by++)
                    for (unsigned bx = 0; bx < grid.x; bx++) {
                        blockIdx = emu_dim3{bx, by, bz};
                        kernel(args...);
                        bar.arrive_and_wait();
                    }
        });
    for (auto& th : ts) th.join();
    emu_barrier = nullptr;
}

}  // namespace emu
