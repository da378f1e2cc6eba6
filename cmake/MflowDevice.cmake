# cmake/MflowDevice.cmake -- the device code: one fatbin per kernel family (kernels/<family>.cu), each with sm_80
# and sm_90 SASS and compute_90 PTX (a newer GPU JIT-compiles the PTX), plus a separate <family>.ptx for the oldest
# virtual architecture nvcc still targets (compute_75 with nvcc 13: Turing and later), which the CUDA backend
# JIT-compiles when the driver rejects the fatbin (no SASS and no PTX in it for the GPU); a driver that can load
# neither is reported with its version by the CUDA backend when it loads the module.
#
# Contract: defines target mflow_device building ${MFLOW_OUT}/org/mflowhpc/kernels/<family>.fatbin and
# <family>.ptx with nvcc -std=c++17 -O3 -fmad=false (no FMA contraction, as the host library: device results then
# equal the host's where no transcendental is involved; the GEMM tiles fuse explicitly). Without nvcc the target does
# not exist and the build records the device code as absent. MFLOW_CUDA_ARCHS overrides the -gencode list,
# MFLOW_CUDA_PTX_ARCH the fallback PTX's virtual architecture.
find_program(MFLOW_NVCC nvcc HINTS "$ENV{CUDA_HOME}/bin" /usr/local/cuda/bin)
if(NOT MFLOW_NVCC)
  message(STATUS "mflow: nvcc not found, device code not built")
  return()
endif()
set(MFLOW_CUDA_ARCHS "-gencode=arch=compute_80,code=sm_80;-gencode=arch=compute_90,code=sm_90;-gencode=arch=compute_90,code=compute_90"
    CACHE STRING "nvcc -gencode list of the fatbins")
set(MFLOW_CUDA_PTX_ARCH "compute_75" CACHE STRING "virtual architecture of the fallback <family>.ptx")
set(MFLOW_DEVICE_DIR "${MFLOW_OUT}/org/mflowhpc/kernels")
file(GLOB MFLOW_DEVICE_SOURCES "${MFLOW_ROOT}/kernels/*.cu")
file(GLOB MFLOW_DEVICE_HEADERS "${MFLOW_ROOT}/kernels/*.cuh")
set(MFLOW_FATBINS "")
foreach(src IN LISTS MFLOW_DEVICE_SOURCES)
  get_filename_component(fam "${src}" NAME_WE)
  set(out "${MFLOW_DEVICE_DIR}/${fam}.fatbin")
  add_custom_command(OUTPUT "${out}"
    COMMAND ${CMAKE_COMMAND} -E make_directory "${MFLOW_DEVICE_DIR}"
    COMMAND "${MFLOW_NVCC}" -fatbin -std=c++17 -O3 -fmad=false ${MFLOW_CUDA_ARCHS} -o "${out}" "${src}"
    DEPENDS "${src}" ${MFLOW_DEVICE_HEADERS}
    COMMENT "nvcc ${fam}.cu -> ${fam}.fatbin"
    VERBATIM)
  set(ptx "${MFLOW_DEVICE_DIR}/${fam}.ptx")
  add_custom_command(OUTPUT "${ptx}"
    COMMAND ${CMAKE_COMMAND} -E make_directory "${MFLOW_DEVICE_DIR}"
    COMMAND "${MFLOW_NVCC}" -ptx -std=c++17 -O3 -fmad=false -arch=${MFLOW_CUDA_PTX_ARCH} -o "${ptx}" "${src}"
    DEPENDS "${src}" ${MFLOW_DEVICE_HEADERS}
    COMMENT "nvcc ${fam}.cu -> ${fam}.ptx (${MFLOW_CUDA_PTX_ARCH})"
    VERBATIM)
  list(APPEND MFLOW_FATBINS "${out}" "${ptx}")
endforeach()
add_custom_target(mflow_device DEPENDS ${MFLOW_FATBINS})
