// Helpers shared by the tests: the shared reference data and scratch directories.
#pragma once

#include <filesystem>
#include <fstream>
#include <vector>
#include <random>
#include <string>

#include <gtest/gtest.h>

namespace robustlab::testing {

/// ../shared beside the checkout (reference data, model-vs-human raw data).
inline std::filesystem::path shared_dir() { return ROBUSTLAB_SHARED_DIR; }

/// A fresh empty directory under the system temp dir, removed when the object goes away.
class TempDir {
 public:
  TempDir() {
    std::random_device rd;
    path_ = std::filesystem::temp_directory_path() /
            ("robustlab-test-" + std::to_string(rd()) + "-" + std::to_string(rd()));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

// Writes an .npy file by hand (numpy.lib.format), padding the header to 64 bytes.
inline void write_npy(const std::filesystem::path& path, const std::string& descr, const std::string& shape,
               const std::vector<uint8_t>& data, int version = 1) {
  std::string header = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': (" + shape + "), }";
  const size_t prefix = version == 1 ? 10 : 12;
  while ((prefix + header.size() + 1) % 64 != 0) header += ' ';
  header += '\n';
  std::ofstream out(path, std::ios::binary);
  out << "\x93NUMPY" << static_cast<char>(version) << '\0';
  const size_t n = header.size();
  if (version == 1) {
    out << static_cast<char>(n & 0xFF) << static_cast<char>(n >> 8);
  } else {
    for (int i = 0; i < 4; ++i) out << static_cast<char>((n >> (8 * i)) & 0xFF);
  }
  out << header;
  out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
}

}  // namespace robustlab::testing
