package org.mflowhpc.backend.cuda;

import jcuda.Pointer;
import jcuda.jcublas.JCublas2;
import jcuda.jcublas.cublasHandle;
import jcuda.jcublas.cublasOperation;
import jcuda.jcublas.cublasStatus;
import jcuda.runtime.cudaStream_t;

/**
 * Double-precision GEMM for the CUDA backend, row-major like CpuBackend.gemm: C = alpha op(A) op(B) + beta C with
 * op(A) m x k (A(i, p) = tA ? A[p lda + i] : A[i lda + p]), op(B) k x n, C[i ldc + j]; beta = 0 never reads C.
 *
 * <p>Paths. cuBLAS 12 ({@code cublasDgemm} through JCublas2 on the backend's stream) when libcublas.so.12 loads and a
 * handle can be created: a row-major product is the column-major product of the transposes, so it is called as
 * C^T = op(B)^T op(A)^T, i.e. {@code cublasDgemm(opB, opA, n, m, k, alpha, B, ldb, A, lda, beta, C, ldc)}.
 * Otherwise the in-house kernels of kernels/nn.cu: {@code mflow_dgemm_16x128} for m <= 16 (the output channels of a
 * convolution), else {@code mflow_dgemm_64x64}; 256 threads per block, grid (ceil(n / BN), ceil(m / BM), S). When the
 * tiles alone would not fill the device (fewer than 2 blocks per multiprocessor) and k > 512 (the weight gradient of a
 * convolution: a tiny output, a sum over every output site of the batch), k is split into S <= 64 slices of a multiple
 * of 16; each slice writes its partial sums to a workspace of S m n doubles and {@code mflow_gemm_splitk_reduce} adds
 * them in slice order (deterministic). {@code MFLOW_CUDA_GEMM=inhouse} forces the kernels, {@code =cublas} requires
 * cuBLAS (the backend fails to start without it).
 *
 * <p>Cost: 2 m n k flops; the in-house tiles read each operand element m/BM or n/BN times through the L2.
 */
final class CudaGemm implements AutoCloseable {
    private final CudaBackend be;
    private final cublasHandle handle;
    private final String path;

    CudaGemm(CudaBackend be) {
        this.be = be;
        String want = System.getenv("MFLOW_CUDA_GEMM");
        want = want == null ? "auto" : want.trim().toLowerCase(java.util.Locale.ROOT);
        if (!want.equals("auto") && !want.equals("inhouse") && !want.equals("cublas"))
            throw new IllegalArgumentException("MFLOW_CUDA_GEMM must be auto, inhouse or cublas, got '" + want + "'");
        cublasHandle h = null;
        String why = "forced by MFLOW_CUDA_GEMM=inhouse";
        if (!want.equals("inhouse")) {
            CudaNatives.Status s = CudaNatives.cublas();
            if (s.loaded()) {
                try {
                    JCublas2.setExceptionsEnabled(false);
                    cublasHandle c = new cublasHandle();
                    int r = JCublas2.cublasCreate(c);
                    if (r == cublasStatus.CUBLAS_STATUS_SUCCESS) {
                        r = JCublas2.cublasSetStream(c, new cudaStream_t(be.stream()));
                        if (r == cublasStatus.CUBLAS_STATUS_SUCCESS) h = c;
                        else JCublas2.cublasDestroy(c);
                    }
                    if (h == null) why = "cuBLAS handle: " + cublasStatus.stringFor(r);
                } catch (Throwable t) {
                    why = "cuBLAS: " + CudaNatives.firstLine(t);
                }
            } else {
                why = s.detail();
            }
            if (h == null && want.equals("cublas")) throw new IllegalStateException("cuda backend: MFLOW_CUDA_GEMM=cublas but " + why);
        }
        handle = h;
        path = h != null ? "cuBLAS 12 (JCublas2)" : "in-house tiled kernel (" + why + ")";
    }

    String describe() { return path; }

    boolean cublas() { return handle != null; }

    void run(boolean tA, boolean tB, int m, int n, int k, double alpha, CudaBackend.DRef a, int lda, CudaBackend.DRef b, int ldb, double beta,
             CudaBackend.DRef c, int ldc) {
        if (m <= 0 || n <= 0) return;
        if (handle != null) {
            int r = JCublas2.cublasDgemm(handle, tB ? cublasOperation.CUBLAS_OP_T : cublasOperation.CUBLAS_OP_N,
                    tA ? cublasOperation.CUBLAS_OP_T : cublasOperation.CUBLAS_OP_N, n, m, k, Pointer.to(new double[] {alpha}), b.ptr(), ldb, a.ptr(), lda,
                    Pointer.to(new double[] {beta}), c.ptr(), ldc);
            if (r != cublasStatus.CUBLAS_STATUS_SUCCESS) throw new CudaException("cublasDgemm: " + cublasStatus.stringFor(r), r);
            return;
        }
        boolean small = m <= 16;
        int bm = small ? 16 : 64, bn = small ? 128 : 64;
        long gx = (n + bn - 1) / bn, gy = (m + bm - 1) / bm;
        if (gy > 65535) throw new IllegalArgumentException("gemm: m = " + m + " is too large for the in-house kernel's grid");
        int[] split = split(k, gx * gy, be.multiprocessors());
        int kc = split[0], S = split[1];
        DeviceMemory.Lease work = S > 1 ? be.scratch((long) S * m * n) : null;
        long wa = work == null ? 0 : work.block.address;
        be.launchGrid(small ? Kernel.DGEMM_16X128 : Kernel.DGEMM_64X64, (int) gx, (int) gy, S,
                CudaBackend.args().i(tA).i(tB).i(m).i(n).i(k).i(kc).d(alpha).p(a.addr()).i(lda).p(b.addr()).i(ldb).d(beta).p(c.addr()).i(ldc).p(wa));
        if (work != null) {
            be.launch(Kernel.GEMM_SPLITK_REDUCE, (long) m * n, CudaBackend.args().i(m).i(n).i(S).p(wa).d(alpha).d(beta).p(c.addr()).i(ldc));
            work.release();
        }
    }

    /**
     * {kc, S}: slices of kc (a multiple of 16) covering k, S = ceil(k / kc); S = 1 unless the tiles give fewer than 2
     * blocks per multiprocessor and k > 512, then S = min(64, ceil(k / 256), ceil(2 SMs / tiles)).
     */
    static int[] split(int k, long tiles, int sms) {
        int S = 1;
        if (k > 512 && tiles < 2L * sms) S = (int) Math.max(1, Math.min(64, Math.min((k + 255) / 256, (2L * sms + tiles - 1) / tiles)));
        int kc = Math.max(16, ((k + S - 1) / S + 15) / 16 * 16);
        S = Math.max(1, (k + kc - 1) / kc);
        return new int[] {kc, S};
    }

    @Override public void close() {
        if (handle != null) {
            try {
                JCublas2.cublasDestroy(handle);
            } catch (Throwable t) {
                // the context is going away anyway
            }
        }
    }
}
