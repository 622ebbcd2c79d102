#include "robustlab/core/paths.h"

#include <gtest/gtest.h>

#include <fstream>

#include "robustlab/core/error.h"
#include "test_support.h"

namespace robustlab {
namespace {

namespace fs = std::filesystem;

TEST(Paths, WriteAtomicallyRenamesOnSuccess) {
  testing::TempDir dir;
  write_text_file(dir / "a.txt", "hello");
  EXPECT_EQ(read_file(dir / "a.txt"), "hello");
  int entries = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir.path())) ++entries;
  EXPECT_EQ(entries, 1) << "the temporary file must be gone";
}

TEST(Paths, FailedWriteLeavesTargetUntouched) {
  testing::TempDir dir;
  write_text_file(dir / "a.txt", "old");
  EXPECT_THROW(write_atomically(dir / "a.txt",
                                [](const fs::path& tmp) {
                                  std::ofstream(tmp) << "half";
                                  throw IoError("disk full");
                                }),
               IoError);
  EXPECT_EQ(read_file(dir / "a.txt"), "old");
  int entries = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir.path())) ++entries;
  EXPECT_EQ(entries, 1);
}

TEST(Paths, MissingFileNamesThePath) {
  try {
    read_file("/nonexistent/robustlab.txt");
    FAIL();
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/robustlab.txt"), std::string::npos);
  }
}

TEST(Paths, CacheDirFollowsEnvironment) {
  setenv("ROBUSTLAB_CACHE", "/tmp/rl-cache", 1);
  EXPECT_EQ(default_cache_dir(), fs::path("/tmp/rl-cache"));
  unsetenv("ROBUSTLAB_CACHE");
  setenv("XDG_CACHE_HOME", "/tmp/xdg", 1);
  EXPECT_EQ(default_cache_dir(), fs::path("/tmp/xdg/robustlab"));
}

}  // namespace
}  // namespace robustlab
