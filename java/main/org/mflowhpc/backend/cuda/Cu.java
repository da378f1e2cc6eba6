package org.mflowhpc.backend.cuda;

import jcuda.driver.CUresult;
import jcuda.driver.JCudaDriver;

/**
 * The one place where CUDA driver result codes become exceptions: {@link #check(int, String)} throws a
 * {@link CudaException} "CALL: CUDA_ERROR_NAME (description)" for any non-zero CUresult. JCuda's own exceptions are
 * disabled (the backend sets {@code JCudaDriver.setExceptionsEnabled(false)}), so every call returns its code here.
 */
final class Cu {
    private Cu() {}

    static void check(int r, String call) {
        if (r != CUresult.CUDA_SUCCESS) throw new CudaException(call + ": " + describe(r), r);
    }

    /** "CUDA_ERROR_NAME (description)" of a CUresult. */
    static String describe(int r) {
        String name;
        try {
            name = CUresult.stringFor(r);
        } catch (Throwable t) {
            name = "CUresult " + r;
        }
        String[] s = {null};
        try {
            if (JCudaDriver.cuGetErrorString(r, s) != CUresult.CUDA_SUCCESS) s[0] = null;
        } catch (Throwable t) {
            s[0] = null;
        }
        return s[0] == null || s[0].isBlank() ? name : name + " (" + s[0] + ")";
    }
}
