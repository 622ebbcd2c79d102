// Shared by the fuzz targets: an input written to a file for the readers that take paths, and the
// rule every target follows — a reader may reject its input only with one of robustlab's errors
// (IoError, FormatError, ShapeError, InvalidArgument, …), which the CLI turns into one line and a
// non-zero exit. Anything else (a crash, a sanitizer report, another exception, a hang, an
// allocation beyond libFuzzer's limit) is a finding.
#pragma once

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

#include "robustlab/core/error.h"

namespace robustlab::fuzz {

/// A scratch directory of this process (in /dev/shm when there is one), removed at exit.
inline const std::filesystem::path& scratch_dir() {
  static const std::filesystem::path dir = [] {
    const std::filesystem::path base = std::filesystem::exists("/dev/shm") ? "/dev/shm" : std::filesystem::temp_directory_path();
    std::filesystem::path d = base / ("robustlab-fuzz-" + std::to_string(getpid()));
    std::filesystem::create_directories(d);
    return d;
  }();
  static const struct Cleanup {
    ~Cleanup() {
      std::error_code ec;
      std::filesystem::remove_all(dir, ec);
    }
  } cleanup;
  return dir;
}

/// Writes the input to `name` in the scratch directory and returns its path.
inline std::filesystem::path write_input(const uint8_t* data, size_t size, const std::string& name) {
  const std::filesystem::path path = scratch_dir() / name;
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary | std::ios::trunc).write(reinterpret_cast<const char*>(data),
                                                                static_cast<std::streamsize>(size));
  return path;
}

/// Runs `f`; robustlab's own errors are the expected way to reject an input.
template <typename F>
void expect_clean_rejection(F&& f) {
  try {
    f();
  } catch (const robustlab::Error&) {
  }
}

}  // namespace robustlab::fuzz
