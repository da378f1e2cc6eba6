package org.mflowhpc.backend.cuda;

/**
 * Every {@code extern "C" __global__} function of kernels/*.cu the CUDA backend launches: family (the fatbin it lives
 * in), symbol, and launch configuration. {@code block}: threads per block (clamped at load to the function's
 * CU_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK, which depends on its registers); {@code fixed}: the kernel's shared-memory
 * reduction assumes exactly that block size (256), and loading fails if the device cannot run it so. Heavy per-site
 * kernels (SU(3) staples, link flows: 120-234 registers, up to 5.5 KB of local memory per thread) use 128; kernels
 * that run one thread per configuration (the deterministic backward scatter-adds) use 32 so that small batches spread
 * over more multiprocessors. Grid: ceil(items / block) blocks, capped at 32 resident-sized waves of the device
 * (grid-stride loops cover the rest), except the GEMM and reduction kernels, whose grids the backend sets.
 * {@code signature}: the kinds of the kernel's parameters; every launch checks its argument list against it (a
 * mismatch is an IllegalStateException naming the kernel, never a launch with shifted arguments), and CudaUnitTest
 * checks it against the declaration in kernels/<family>.cu.
 */
enum Kernel {
    // gauge.cu
    PLAQUETTES("gauge", "mflow_plaquettes", 128, false, "Giipp"),
    PLAQUETTE_ANGLES("gauge", "mflow_plaquette_angles", 256, false, "Gipp"),
    STAPLES("gauge", "mflow_staples", 128, false, "Giipip"),
    FORCE("gauge", "mflow_force", 128, false, "Giipdiip"),
    GAUGE_TRANSFORM("gauge", "mflow_gauge_transform", 128, false, "Giipp"),
    HAAR_LINKS("gauge", "mflow_haar_links", 128, false, "Giipill"),
    HAAR_OMEGA("gauge", "mflow_haar_omega", 128, false, "lipill"),
    // updates.cu
    CHECKERBOARD("updates", "mflow_checkerboard", 128, false, "Giippidlli"),
    DRAW_MOMENTA("updates", "mflow_draw_momenta", 128, false, "lipill"),
    KINETIC_LINKS("updates", "mflow_kinetic_links", 256, false, "lipp"),
    UPDATE_LINKS("updates", "mflow_update_links", 128, false, "lippd"),
    REUNITARIZE("updates", "mflow_reunitarize", 256, false, "lip"),
    // coupling.cu
    LOOP_FEATURES("coupling", "mflow_loop_features", 128, false, "Giippp"),
    LOOP_FEATURES_BACKWARD("coupling", "mflow_loop_features_backward", 32, false, "Giipppp"),
    GATHER_ACTIVE("coupling", "mflow_gather_active", 128, false, "Giipiipip"),
    SCATTER_ACTIVE("coupling", "mflow_scatter_active", 128, false, "Giipiipip"),
    SCATTER_ACTIVE_BACKWARD("coupling", "mflow_scatter_active_backward", 32, false, "Giipiipippp"),
    GATHER_ACTIVE_BACKWARD("coupling", "mflow_gather_active_backward", 32, false, "Giipiipippp"),
    // flows.cu
    LINK_FLOW("flows", "mflow_link_flow", 128, false, "iiiippippi"),
    LINK_FLOW_BACKWARD("flows", "mflow_link_flow_backward", 128, false, "iiiippipppp"),
    // multiscale.cu
    DOUBLING_SPLIT("multiscale", "mflow_doubling_split", 256, false, "iiiiippppp"),
    DOUBLING_MERGE("multiscale", "mflow_doubling_merge", 256, false, "iiiiipppp"),
    DOUBLING_SPLIT_BACKWARD("multiscale", "mflow_doubling_split_backward", 128, false, "iiiiipppp"),
    GATHER_MIDPOINT("multiscale", "mflow_gather_midpoint", 128, false, "Giipiipip"),
    SCATTER_MIDPOINT("multiscale", "mflow_scatter_midpoint", 128, false, "Giipiipip"),
    SCATTER_MIDPOINT_BACKWARD("multiscale", "mflow_scatter_midpoint_backward", 32, false, "Giipiipippp"),
    GATHER_MIDPOINT_BACKWARD("multiscale", "mflow_gather_midpoint_backward", 32, false, "Giipiipippp"),
    U1_BASE("multiscale", "mflow_u1_base", 128, false, "idiippipippi"),
    U1_BASE_BACKWARD("multiscale", "mflow_u1_base_backward", 128, false, "idiippipippppp"),
    // nn.cu
    CONV("nn", "mflow_conv", 256, false, "iipiiippppip"),
    CONV_BIAS_GRAD("nn", "mflow_conv_bias_grad", 32, false, "iiippi"),
    CONV_WEIGHT_GRAD("nn", "mflow_conv_weight_grad", 64, false, "iipiiippippii"),
    CONV_INPUT_GRAD("nn", "mflow_conv_input_grad", 32, false, "iipiiippipp"),
    ACTIVATION("nn", "mflow_activation", 256, false, "iipp"),
    ACTIVATION_BACKWARD("nn", "mflow_activation_backward", 256, false, "iippp"),
    ADAM("nn", "mflow_adam", 256, false, "ippppddddddd"),
    DGEMM_64X64("nn", "mflow_dgemm_64x64", 256, true, "iiiiiidpipidpip"),
    DGEMM_16X128("nn", "mflow_dgemm_16x128", 256, true, "iiiiiidpipidpip"),
    GEMM_SPLITK_REDUCE("nn", "mflow_gemm_splitk_reduce", 256, false, "iiipddpi"),
    IM2COL("nn", "mflow_im2col", 256, false, "iipipiipip"),
    CONV_BIAS_OUT("nn", "mflow_conv_bias_out", 256, false, "iiiippp"),
    CONV_GATHER_DY("nn", "mflow_conv_gather_dy", 256, false, "iiiipp"),
    COL2IM_GATHER("nn", "mflow_col2im_gather", 256, false, "iipiiipipp"),
    COL2IM_SERIAL("nn", "mflow_col2im_serial", 32, false, "iipiiipipp"),
    // reduce.cu
    BLOCK_SUM("reduce", "mflow_block_sum", 256, true, "lpidp"),
    BLOCK_MAX("reduce", "mflow_block_max", 256, true, "lpip"),
    ROW_REDUCE("reduce", "mflow_row_reduce", 256, true, "ilplpidi"),
    ROW_SUM_SERIAL("reduce", "mflow_row_sum_serial", 64, false, "ilppidi"),
    BROADCAST_ROWS("reduce", "mflow_broadcast_rows", 256, false, "iipp"),
    SCALE("reduce", "mflow_scale", 256, false, "lpd"),
    AXPY("reduce", "mflow_axpy", 256, false, "ldpp"),
    FILL("reduce", "mflow_fill", 256, false, "lpd");

    final String family, symbol;
    final int block;
    final boolean fixed;
    /** Parameter kinds in order: G = Geom (by value), i = int, l = int64_t, d = double, p = pointer (see KernelArgs). */
    final String signature;

    Kernel(String family, String symbol, int block, boolean fixed, String signature) {
        this.family = family;
        this.symbol = symbol;
        this.block = block;
        this.fixed = fixed;
        this.signature = signature;
    }
}
