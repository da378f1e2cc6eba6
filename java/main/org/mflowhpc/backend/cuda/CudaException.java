package org.mflowhpc.backend.cuda;

/**
 * A CUDA driver (or cuBLAS) call failed: the call's name and the error's name and description, one line. Every
 * result code of the CUDA backend goes through {@link Cu#check}. Errors of asynchronous work (a kernel's illegal
 * address) surface at the next synchronising call and name that call; {@code MFLOW_CUDA_SYNC=1} synchronises after
 * every launch so the failing kernel is named.
 */
public class CudaException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    /** The CUresult (or cublasStatus) code. */
    public final int code;

    public CudaException(String message, int code) {
        super(message);
        this.code = code;
    }
}
