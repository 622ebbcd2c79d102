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
  set_threads(1);
  EXPECT_EQ(environment().intra_op_threads, 1);
}

}  // namespace
}  // namespace robustlab
