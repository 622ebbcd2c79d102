// See environment.h. The BLAS is found with dlsym/dladdr on `sgemm_`; OpenBLAS is asked for its
// build configuration through its own `openblas_get_config`/`openblas_get_parallel`, looked up in
// that library only (Debian's LAPACK alternative can load a second OpenBLAS that LibTorch's
// matrix products do not use); oneDNN through its C API `dnnl_version`.
#include "robustlab/core/environment.h"

#include <ATen/Parallel.h>
#include <ATen/Version.h>
#include <dlfcn.h>
#include <unistd.h>
#include <torch/csrc/api/include/torch/version.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <mutex>

#include "robustlab/core/log.h"
#include "robustlab/core/version.h"

namespace robustlab {
namespace {

/// dnnl_version_t of oneDNN's C API (oneapi/dnnl/dnnl_types.h), declared here because Debian's
/// LibTorch does not ship oneDNN's headers.
struct DnnlVersion {
  int major, minor, patch;
  const char* hash;
  unsigned cpu_runtime, gpu_runtime;
};

bool contains(const std::string& text, const char* part) { return text.find(part) != std::string::npos; }

BlasKind kind_of(const std::string& path) {
  const std::string file = std::filesystem::path(path).filename().string();
  if (contains(path, "openblas")) return BlasKind::kOpenBlas;
  if (contains(path, "mkl")) return BlasKind::kMkl;
  if (contains(path, "blis")) return BlasKind::kBlis;
  if (contains(path, "atlas")) return BlasKind::kAtlas;
  // Debian's reference BLAS (package libblas3) lives in .../blas/libblas.so.3.x.
  if (contains(path, "/blas/") && contains(file, "libblas.so")) return BlasKind::kReference;
  return BlasKind::kUnknown;
}

std::string openblas_detail(const std::string& library) {
  void* handle = dlopen(library.c_str(), RTLD_LAZY | RTLD_NOLOAD);
  if (!handle) return "";
  std::string detail;
  if (auto config = reinterpret_cast<const char* (*)()>(dlsym(handle, "openblas_get_config"))) detail = config();
  if (auto parallel = reinterpret_cast<int (*)()>(dlsym(handle, "openblas_get_parallel"))) {
    const int p = parallel();
    detail += std::string(detail.empty() ? "" : ", ") +
              (p == 0 ? "sequential" : p == 1 ? "pthreads" : p == 2 ? "openmp" : "threading " + std::to_string(p));
  }
  dlclose(handle);
  return detail;
}

/// LibTorch's build configuration line "BLAS_INFO=..." (official builds link MKL statically, so
/// there is no sgemm_ to find).
std::string build_blas_info() {
  const std::string config = at::show_config();
  const auto at = config.find("BLAS_INFO=");
  if (at == std::string::npos) return "";
  const auto end = config.find_first_of(", \n", at);
  return config.substr(at + 10, end == std::string::npos ? std::string::npos : end - at - 10);
}

std::string onednn_version() {
  auto version = reinterpret_cast<const DnnlVersion* (*)()>(dlsym(RTLD_DEFAULT, "dnnl_version"));
  if (!version) return "";
  const DnnlVersion* v = version();
  return std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->patch);
}

}  // namespace

std::string to_string(BlasKind kind) {
  switch (kind) {
    case BlasKind::kReference: return "reference BLAS (netlib)";
    case BlasKind::kOpenBlas: return "OpenBLAS";
    case BlasKind::kMkl: return "Intel MKL";
    case BlasKind::kBlis: return "BLIS";
    case BlasKind::kAtlas: return "ATLAS";
    default: return "unknown";
  }
}

BlasInfo loaded_blas() {
  BlasInfo info;
  Dl_info where{};
  void* sgemm = dlsym(RTLD_DEFAULT, "sgemm_");
  if (sgemm && dladdr(sgemm, &where) && where.dli_fname) {
    std::error_code ec;
    const auto real = std::filesystem::canonical(where.dli_fname, ec);
    info.library = ec ? where.dli_fname : real.string();
    info.kind = kind_of(info.library);
    if (info.kind == BlasKind::kOpenBlas) info.detail = openblas_detail(where.dli_fname);
    return info;
  }
  const std::string built = build_blas_info();
  if (contains(built, "mkl")) info.kind = BlasKind::kMkl;
  if (contains(built, "open")) info.kind = BlasKind::kOpenBlas;
  info.detail = built.empty() ? "" : "linked into LibTorch (BLAS_INFO=" + built + ")";
  return info;
}

std::string host_name() {
  char name[256] = {};
  return gethostname(name, sizeof name - 1) == 0 ? std::string(name) : std::string("unknown");
}

Environment environment() {
  static const Environment fixed = [] {
    Environment env;
    env.robustlab_version = std::string(kVersion) + (std::string(kGitHash).empty() ? "" : "+" + std::string(kGitHash));
    env.torch_version = TORCH_VERSION;
    env.blas = loaded_blas();
    env.onednn_version = onednn_version();
    env.cpu_kernels = cpu_kernels();
    return env;
  }();
  Environment env = fixed;
  env.intra_op_threads = at::get_num_threads();
  env.inter_op_threads = at::get_num_interop_threads();
  return env;
}

nlohmann::json to_json(const Environment& env) {
  return {{"robustlab", env.robustlab_version},
          {"libtorch", env.torch_version},
          {"blas", to_string(env.blas.kind)},
          {"blas_library", env.blas.library},
          {"blas_detail", env.blas.detail},
          {"onednn", env.onednn_version},
          {"cpu_kernels", env.cpu_kernels},
          {"intra_op_threads", env.intra_op_threads},
          {"inter_op_threads", env.inter_op_threads}};
}

std::string describe(const Environment& env) {
  std::string blas = to_string(env.blas.kind);
  if (!env.blas.detail.empty()) blas += " (" + env.blas.detail + ")";
  if (!env.blas.library.empty()) blas += ", " + env.blas.library;
  return "robustlab " + env.robustlab_version + "\nLibTorch " + env.torch_version + "\nBLAS: " + blas +
         "\noneDNN: " + (env.onednn_version.empty() ? "not loaded" : env.onednn_version) +
         "\nCPU kernels: " + env.cpu_kernels +
         "\nthreads: " + std::to_string(env.intra_op_threads) + " intra-op, " +
         std::to_string(env.inter_op_threads) + " inter-op";
}

bool cpu_has_avx512() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq") &&
         __builtin_cpu_supports("avx512vl");
}

std::string cpu_kernels() {
  __builtin_cpu_init();
  const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  // ATen's rule: ATEN_CPU_CAPABILITY is taken when the CPU has what it names, else ignored.
  if (const char* wanted = std::getenv("ATEN_CPU_CAPABILITY")) {
    const std::string w = wanted;
    if ((w == "avx512" && cpu_has_avx512()) || (w == "avx2" && avx2) || w == "default") return w;
  }
  return cpu_has_avx512() ? "avx512" : avx2 ? "avx2" : "default";
}

std::string better_openblas_core() {
  if (std::getenv("OPENBLAS_CORETYPE")) return "";
  const BlasInfo blas = loaded_blas();
  if (blas.kind != BlasKind::kOpenBlas) return "";
  void* handle = dlopen(blas.library.c_str(), RTLD_LAZY | RTLD_NOLOAD);
  if (!handle) return "";
  std::string core;
  if (auto name = reinterpret_cast<const char* (*)()>(dlsym(handle, "openblas_get_corename"))) core = name();
  dlclose(handle);
  if (core.empty()) return "";
  std::transform(core.begin(), core.end(), core.begin(), [](unsigned char c) { return std::tolower(c); });
  const auto one_of = [&](std::initializer_list<const char*> names) {
    return std::any_of(names.begin(), names.end(), [&](const char* n) { return core == n; });
  };
  const bool avx512 = cpu_has_avx512();
  const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  if (avx512 && !one_of({"skylakex", "cooperlake", "sapphirerapids"})) return "SkylakeX";
  if (avx2 && !avx512 && !one_of({"haswell", "zen", "skylakex", "cooperlake", "sapphirerapids"})) return "Haswell";
  return "";
}

void reexec_with_better_openblas_core(char** argv) {
  const std::string core = better_openblas_core();
  if (core.empty()) return;
  setenv("OPENBLAS_CORETYPE", core.c_str(), 1);
  execv("/proc/self/exe", argv);
  unsetenv("OPENBLAS_CORETYPE");  // exec failed: go on with the kernels loaded
}

void warn_about_blas() {
  static std::once_flag once;
  std::call_once(once, [] {
    const BlasInfo blas = loaded_blas();
    if (blas.kind == BlasKind::kReference) {
      log_warning("LibTorch runs on the reference BLAS (", blas.library,
                  "): matrix products are up to 9x slower; install libopenblas0-openmp (scripts/setup.sh does)");
    } else if (blas.kind == BlasKind::kUnknown) {
      log_warning("cannot identify the BLAS LibTorch uses (",
                  blas.library.empty() ? std::string("no sgemm_ in the process") : blas.library,
                  "); speed and float32 rounding of matrix products depend on it");
    } else if (const std::string core = better_openblas_core(); !core.empty()) {
      log_warning("OpenBLAS did not recognise this CPU and runs generic kernels; OPENBLAS_CORETYPE=", core,
                  " makes matrix products ~3x faster");
    }
  });
}

}  // namespace robustlab
