# cmake/MflowHost.cmake -- the host JNI library of backend `host` (native/*.cpp over kernels/*.cuh).
#
# Contract: defines target mflow_host building libmflowhost-env.so (OpenMP environment defaults, native/host_env.cpp)
# and libmflowhost-<variant>.so into
# ${MFLOW_OUT}/org/mflowhpc/backend/host/native/<os>-<arch>/ for each variant of this architecture, with
# -O3 -ffp-contract=off -fno-tree-vectorize (no FMA contraction, and no auto-vectorization, whose complex-arithmetic
# patterns in GCC 12 fuse multiply-adds even under -ffp-contract=off: bit-identical to the Java reference; the SIMD
# kernels are written with explicit vector types), OpenMP when the compiler has it,
# libstdc++ and libgcc linked statically (the library then needs only libc, libm and libgomp at run time).
find_path(MFLOW_JNI_INCLUDE jni.h HINTS "$ENV{JAVA_HOME}/include" "${JAVA_HOME}/include" NO_DEFAULT_PATH)
if(NOT MFLOW_JNI_INCLUDE)
  find_path(MFLOW_JNI_INCLUDE jni.h PATHS /usr/lib/jvm/default-java/include /usr/lib/jvm/java-17-openjdk-amd64/include)
endif()
if(NOT MFLOW_JNI_INCLUDE)
  message(FATAL_ERROR "jni.h not found: set JAVA_HOME to a JDK")
endif()
if(CMAKE_SYSTEM_NAME STREQUAL "Darwin")
  set(MFLOW_OS darwin)
else()
  set(MFLOW_OS linux)
endif()
find_path(MFLOW_JNI_MD_INCLUDE jni_md.h HINTS "${MFLOW_JNI_INCLUDE}/${MFLOW_OS}" "${MFLOW_JNI_INCLUDE}" NO_DEFAULT_PATH)

find_package(OpenMP COMPONENTS CXX)

string(TOLOWER "${CMAKE_SYSTEM_PROCESSOR}" MFLOW_ARCH)
if(MFLOW_ARCH STREQUAL "amd64")
  set(MFLOW_ARCH x86_64)
endif()
if(MFLOW_ARCH STREQUAL "x86_64")
  set(MFLOW_VARIANTS "x86-64-v3;x86-64")
  set(MFLOW_FLAGS_x86-64-v3 -march=x86-64-v3 -mtune=generic)
  set(MFLOW_FLAGS_x86-64 -march=x86-64 -mtune=generic)
else()
  set(MFLOW_VARIANTS generic)
  set(MFLOW_FLAGS_generic "")
endif()

set(MFLOW_HOST_DIR "${MFLOW_OUT}/org/mflowhpc/backend/host/native/${MFLOW_OS}-${MFLOW_ARCH}")
file(GLOB MFLOW_HOST_SOURCES "${MFLOW_ROOT}/native/*.cpp")
list(FILTER MFLOW_HOST_SOURCES EXCLUDE REGEX "host_env\\.cpp$")
file(GLOB MFLOW_KERNEL_HEADERS "${MFLOW_ROOT}/kernels/*.cuh" "${MFLOW_ROOT}/native/*.hpp")

add_custom_target(mflow_host)
# libmflowhost-env.so: OpenMP environment defaults, loaded before the main library (native/host_env.cpp)
add_library(mflowhost_env SHARED "${MFLOW_ROOT}/native/host_env.cpp")
set_target_properties(mflowhost_env PROPERTIES OUTPUT_NAME "mflowhost-env" PREFIX "lib" LIBRARY_OUTPUT_DIRECTORY "${MFLOW_HOST_DIR}"
                      CXX_STANDARD 17)
target_compile_options(mflowhost_env PRIVATE -O2)
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  target_link_options(mflowhost_env PRIVATE -static-libstdc++ -static-libgcc)
endif()
add_dependencies(mflow_host mflowhost_env)
foreach(v IN LISTS MFLOW_VARIANTS)
  set(t mflowhost_${v})
  string(REPLACE "-" "_" t "${t}")
  add_library(${t} SHARED ${MFLOW_HOST_SOURCES})
  set_target_properties(${t} PROPERTIES OUTPUT_NAME "mflowhost-${v}" PREFIX "lib"
                        LIBRARY_OUTPUT_DIRECTORY "${MFLOW_HOST_DIR}" CXX_STANDARD 17 CXX_STANDARD_REQUIRED ON
                        CXX_VISIBILITY_PRESET hidden)
  target_include_directories(${t} PRIVATE "${MFLOW_JNI_INCLUDE}" "${MFLOW_JNI_MD_INCLUDE}")
  set(flags ${MFLOW_FLAGS_${v}} -O3 -ffp-contract=off -fno-tree-vectorize -fno-fast-math -fno-math-errno -Wall -Wno-unused-function -Wno-maybe-uninitialized)
  target_compile_options(${t} PRIVATE ${flags})
  string(REPLACE ";" " " flagstr "${flags}")
  target_compile_definitions(${t} PRIVATE MFLOW_HOST_VERSION="${MFLOW_VERSION}" MFLOW_HOST_VARIANT="${v}"
                             MFLOW_HOST_FLAGS="${flagstr}")
  if(MFLOW_JNI_HEADERS AND EXISTS "${MFLOW_JNI_HEADERS}/org_mflowhpc_backend_host_HostNative.h")
    target_include_directories(${t} PRIVATE "${MFLOW_JNI_HEADERS}")
    target_compile_definitions(${t} PRIVATE MFLOW_HAVE_JNI_HEADER=1)
  endif()
  if(OpenMP_CXX_FOUND)
    target_link_libraries(${t} PRIVATE OpenMP::OpenMP_CXX)
  endif()
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    target_link_options(${t} PRIVATE -static-libstdc++ -static-libgcc)
  endif()
  add_dependencies(mflow_host ${t})
endforeach()
