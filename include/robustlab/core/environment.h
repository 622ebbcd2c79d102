// What robustlab runs on: LibTorch's version, the BLAS library actually loaded into the process,
// oneDNN's version and the thread counts. Speed (an optimised BLAS is ~9x faster than the
// reference one on MLP work, docs/performance.md "BLAS") and the last bits of float32 results
// (matrix products round differently per BLAS) depend on it, so `robustlab info` prints it, the
// results store records it with every run, and the CLI warns when the reference BLAS is in use.
//
// The BLAS is identified by where the process resolves `sgemm_` (the symbol LibTorch calls): the
// file behind it, with symlinks resolved (Debian switches BLAS implementations through the
// libblas.so.3 alternative, or a user through LD_LIBRARY_PATH).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace robustlab {

enum class BlasKind { kReference, kOpenBlas, kMkl, kBlis, kAtlas, kUnknown };
std::string to_string(BlasKind kind);

struct BlasInfo {
  BlasKind kind = BlasKind::kUnknown;
  std::string library;  ///< the file sgemm_ resolves to (symlinks resolved); empty if none
  std::string detail;   ///< e.g. OpenBLAS's build configuration and threading ("openmp")
};

struct Environment {
  std::string robustlab_version;  ///< version+git hash
  std::string torch_version;      ///< LibTorch's header version
  BlasInfo blas;
  std::string onednn_version;  ///< "2.7.3" or "" when oneDNN is not loaded
  std::string cpu_kernels;     ///< cpu_kernels() when the process started
  int intra_op_threads = 0;
  int inter_op_threads = 0;
};

/// Identifies the BLAS loaded into this process (see the file comment). Never throws.
BlasInfo loaded_blas();
/// The whole environment; cheap after the first call except for the thread counts.
Environment environment();
/// This machine's name (gethostname), "unknown" when there is none: it tells one machine's
/// processes and temporary files from another's in a shared folder or database.
std::string host_name();
nlohmann::json to_json(const Environment& env);
/// A few human-readable lines: "LibTorch 1.13.0", "BLAS: OpenBLAS (…)", ...
std::string describe(const Environment& env);

/// Whether the CPU has AVX-512 F, BW, DQ and VL: what OpenBLAS's SkylakeX kernels and LibTorch's
/// AVX-512 kernels need (without them LibTorch dispatches its AVX2 kernels, which round differently).
bool cpu_has_avx512();
/// The vector kernels LibTorch runs on this CPU, by ATen's names: "avx512", "avx2" (with FMA) or
/// "default" (scalar), the best the CPU has unless ATEN_CPU_CAPABILITY names a lesser one it has.
/// Float32 reductions add in another order with each, so results agree across machines only to
/// rounding when these differ (docs/performance.md).
std::string cpu_kernels();

/// OpenBLAS's DYNAMIC_ARCH build picks its kernels from the CPU model when it is loaded, and 0.3.21
/// (Debian 12's) does not know recent Xeons that report themselves as "Intel(R) Xeon(R) Processor":
/// it falls back to the generic Prescott kernels although the CPU has AVX2 or AVX-512 (a 512^3
/// sgemm 3.3x slower, measured; docs/performance.md "BLAS"). Only OPENBLAS_CORETYPE at load time
/// changes that. The core type this CPU should use ("SkylakeX" with AVX-512 F/BW/DQ/VL, "Haswell"
/// with AVX2 and FMA) when the loaded OpenBLAS runs a less capable one and OPENBLAS_CORETYPE is not
/// set; else "". Never throws.
std::string better_openblas_core();
/// Runs this program again (/proc/self/exe, the same arguments) with OPENBLAS_CORETYPE set when
/// better_openblas_core() names one. Returns only when there is nothing to do or exec failed.
void reexec_with_better_openblas_core(char** argv);

/// Logs one warning (once per process) when LibTorch runs on the reference BLAS or when the BLAS
/// cannot be identified, saying what it costs and how to fix it.
void warn_about_blas();

}  // namespace robustlab
