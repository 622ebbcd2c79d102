#include "robustlab/core/environment.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "robustlab/core/parallel.h"

namespace robustlab {
namespace {

// CTest runs this file a second time with LD_LIBRARY_PATH pointing at Debian's reference BLAS and
// ROBUSTLAB_EXPECT_BLAS=reference, and once with ROBUSTLAB_EXPECT_BLAS=openblas (setup installs
// libopenblas0-openmp, which takes over the libblas.so.3 alternative).
TEST(Environment, IdentifiesTheLoadedBlas) {
  const BlasInfo blas = loaded_blas();
  ASSERT_FALSE(blas.library.empty()) << "no sgemm_ found, but LibTorch is linked";
  EXPECT_TRUE(std::filesystem::exists(blas.library)) << blas.library;
  EXPECT_NE(blas.kind, BlasKind::kUnknown) << blas.library;
  if (const char* expected = std::getenv("ROBUSTLAB_EXPECT_BLAS")) {
    if (std::string(expected) == "reference") {
      EXPECT_EQ(blas.kind, BlasKind::kReference) << blas.library;
      EXPECT_TRUE(blas.detail.empty()) << blas.detail;
    } else {
      ASSERT_EQ(std::string(expected), "openblas");
      EXPECT_EQ(blas.kind, BlasKind::kOpenBlas) << blas.library;
      // Its own configuration, from the library that serves sgemm_, with the threading model.
      EXPECT_NE(blas.detail.find("OpenBLAS"), std::string::npos) << blas.detail;
      EXPECT_NE(blas.detail.find("openmp"), std::string::npos) << blas.detail;
    }
  }
}

// LibTorch's kernels: the best the CPU has, or a lesser one ATEN_CPU_CAPABILITY names; a name the
// CPU cannot run, or no name at all, leaves the best.
TEST(Environment, CpuKernelsFollowTheCpuAndAtensVariable) {
  const char* before = std::getenv("ATEN_CPU_CAPABILITY");
  const std::string saved = before ? before : "";
  unsetenv("ATEN_CPU_CAPABILITY");
  const std::string best = cpu_kernels();
  EXPECT_TRUE(best == "avx512" || best == "avx2" || best == "default") << best;
  EXPECT_EQ(best == "avx512", cpu_has_avx512());
  setenv("ATEN_CPU_CAPABILITY", "default", 1);
  EXPECT_EQ(cpu_kernels(), "default");
  setenv("ATEN_CPU_CAPABILITY", "avx512", 1);
  EXPECT_EQ(cpu_kernels(), best);  // taken only when the CPU has it, which the best then is
  setenv("ATEN_CPU_CAPABILITY", "sse9", 1);
  EXPECT_EQ(cpu_kernels(), best);
  if (before) setenv("ATEN_CPU_CAPABILITY", saved.c_str(), 1); else unsetenv("ATEN_CPU_CAPABILITY");
}

TEST(Environment, ReportsVersionsAndThreads) {
  set_threads(2);
  const Environment env = environment();
  EXPECT_EQ(env.intra_op_threads, 2);
  EXPECT_EQ(env.torch_version.substr(0, 2), "1.");
  EXPECT_FALSE(env.onednn_version.empty()) << "Debian's LibTorch loads oneDNN (libdnnl.so.2)";
  const nlohmann::json j = to_json(env);
  EXPECT_EQ(j.at("blas"), to_string(env.blas.kind));
  EXPECT_EQ(j.at("intra_op_threads"), 2);
  const std::string text = describe(env);
  EXPECT_NE(text.find("BLAS: " + to_string(env.blas.kind)), std::string::npos) << text;
  EXPECT_NE(text.find("oneDNN: " + env.onednn_version), std::string::npos) << text;
  EXPECT_NE(text.find("CPU kernels: " + env.cpu_kernels), std::string::npos) << text;
  EXPECT_EQ(j.at("cpu_kernels"), env.cpu_kernels);
  set_threads(1);
  EXPECT_EQ(environment().intra_op_threads, 1);
}

}  // namespace
}  // namespace robustlab
