// native/host_env.cpp -- libmflowhost-env.so, loaded by HostLibrary just before libmflowhost-<variant>.so: sets the
// OpenMP runtime's environment defaults of backend `host` before libgomp (a dependency of the main library) reads
// them at load time.
//
// Contract. OMP_WAIT_POLICY=PASSIVE unless the environment already sets OMP_WAIT_POLICY (the user's choice wins):
// team threads sleep between parallel regions instead of spinning. A JNI library runs its regions between stretches
// of Java code on the calling thread, and spinning workers compete with that thread (and the JVM's GC and JIT
// threads) for cores; measured on the shared 2-core development machine, a 2-thread training step of the tutorial
// model took 10x longer with the spinning default than with passive waiting. No other effect; no JNI entry points.
//
// Layout / flops / bytes: none.
#include <cstdlib>

namespace {
__attribute__((constructor)) void mflowHostEnv() { setenv("OMP_WAIT_POLICY", "PASSIVE", 0); }
}  // namespace
