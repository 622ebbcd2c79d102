#include "robustlab/core/paths.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

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

namespace robustlab {
namespace {

TEST(Paths, RemovesTheTemporariesOfKilledWritersOnly) {
  testing::TempDir dir;
  char host[256] = {};
  ASSERT_EQ(gethostname(host, sizeof host - 1), 0);
  const pid_t dead = fork();
  if (dead == 0) _exit(0);
  waitpid(dead, nullptr, 0);  // a pid that no longer runs
  const auto sub = dir.path() / "fog" / "3";
  std::filesystem::create_directories(sub);
  const std::string me = std::to_string(getpid()), gone = std::to_string(dead);
  for (const std::string name : {".a.png.tmp." + std::string(host) + "." + gone,   // killed mid-write: removed
                                 ".b.png.tmp." + std::string(host) + "." + me,     // being written: kept
                                 ".c.png.tmp.other-machine." + gone,               // another host's: kept
                                 std::string("d.png"), std::string(".hidden")})
    std::ofstream(sub / name) << "x";
  EXPECT_EQ(remove_stale_temporaries(dir.path()), 1);
  EXPECT_FALSE(std::filesystem::exists(sub / (".a.png.tmp." + std::string(host) + "." + gone)));
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(sub), std::filesystem::directory_iterator()), 4);
  // write_atomically's temporaries are of this form: a finished write leaves none.
  write_text_file(sub / "e.txt", "done");
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(sub), std::filesystem::directory_iterator()), 5);

  // One file's temporaries: only that file's dead writer's, and not in subfolders.
  const std::string dead_a = ".m.ckpt.tmp." + std::string(host) + "." + gone;
  for (const std::string name : {dead_a, ".m.ckpt.tmp." + std::string(host) + "." + me,
                                 ".n.ckpt.tmp." + std::string(host) + "." + gone})
    std::ofstream(dir.path() / name) << "x";
  std::ofstream(sub / dead_a) << "x";
  EXPECT_EQ(remove_stale_temporaries_of(dir.path() / "m.ckpt"), 1);
  EXPECT_FALSE(std::filesystem::exists(dir.path() / dead_a));
  EXPECT_TRUE(std::filesystem::exists(sub / dead_a));
  EXPECT_TRUE(std::filesystem::exists(dir.path() / (".n.ckpt.tmp." + std::string(host) + "." + gone)));
}

}  // namespace
}  // namespace robustlab
