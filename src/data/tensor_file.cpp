// torch.save'd {"x", "y"} dictionaries read through LibTorch's pickle loader.
#include "robustlab/data/tensor_file.h"

#include <torch/script.h>
#include <torch/torch.h>

#include <optional>

#include "robustlab/core/error.h"
#include "robustlab/core/paths.h"
#include "robustlab/data/npy.h"

namespace robustlab {

namespace {

// LibTorch 1.13's copy of miniz reads past its buffer when a zip's ZIP64 locator points beside
// the ZIP64 record (found by fuzz_tensor_file; Python's zipfile rejects such files). The records
// miniz trusts are checked first, as the zip format (PKWARE APPNOTE 4.3.14-4.3.16) lays them out:
// the end of central directory, the ZIP64 locator and record when present, and the central
// directory they point at.
void check_zip_records(const std::string& bytes, const std::filesystem::path& path, const char* what) {
  const auto fail = [&](const std::string& why) {
    throw FormatError(std::string(what) + ": file '" + path.string() + "' is not a torch.save file (" + why + ")");
  };
  const auto little = [&](uint64_t at, int width) {
    uint64_t v = 0;
    for (int i = width - 1; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(bytes[at + static_cast<uint64_t>(i)]);
    return v;
  };
  const auto signature_at = [&](uint64_t at, const char* signature) {
    return at + 4 <= bytes.size() && bytes.compare(at, 4, signature, 4) == 0;
  };
  const uint64_t n = bytes.size();
  if (n < 22) fail("too short for a zip archive");
  const uint64_t lowest = n > 22 + 65535 ? n - 22 - 65535 : 0;
  std::optional<uint64_t> found;
  for (uint64_t at = n - 22 + 1; at-- > lowest && !found;)
    if (signature_at(at, "PK\x05\x06")) found = at;
  if (!found) fail("no end of central directory record");
  const uint64_t eocd = *found;
  uint64_t size = little(eocd + 12, 4), offset = little(eocd + 16, 4), end = eocd;
  if (eocd >= 20 && signature_at(eocd - 20, "PK\x06\x07")) {
    const uint64_t record = little(eocd - 20 + 8, 8), locator = eocd - 20;
    if (record > locator || locator - record < 56 || !signature_at(record, "PK\x06\x06"))
      fail("its ZIP64 locator does not point at the ZIP64 end record");
    size = little(record + 40, 8);
    offset = little(record + 48, 8);
    end = record;
  }
  if (offset > end || size > end - offset) fail("its central directory lies outside the file");
  if (size > 0 && !signature_at(offset, "PK\x01\x02")) fail("no central directory where its end record says");
}

c10::IValue unpickle(const std::filesystem::path& path, const char* what) {
  const std::string bytes = read_file(path);
  check_zip_records(bytes, path, what);
  try {
    return torch::jit::pickle_load(std::vector<char>(bytes.begin(), bytes.end()));
  } catch (const std::exception& e) {
    throw FormatError(std::string(what) + ": file '" + path.string() + "' is not a torch.save file (" +
                      first_line(e.what()) + ")");
  }
}

}  // namespace

torch::Tensor load_array(const std::filesystem::path& path) {
  const std::string ext = path.extension().string();
  if (ext == ".npy") return read_npy(path);
  if (ext != ".pt" && ext != ".pth") {
    throw FormatError("load_array: '" + path.string() + "' is neither .npy nor a torch.save'd .pt/.pth tensor");
  }
  require_file(path, "load_array");
  const c10::IValue value = unpickle(path, "load_array");
  if (!value.isTensor()) throw FormatError("load_array: '" + path.string() + "' does not hold a single tensor");
  return value.toTensor().contiguous();
}

std::shared_ptr<TensorDataset> load_tensor_file(const std::filesystem::path& path, int64_t num_classes) {
  const c10::IValue value = unpickle(path, "load_tensor_file");
  if (!value.isGenericDict()) {
    throw FormatError("load_tensor_file: file '" + path.string() + "' must hold a dict with 'x' and 'y'");
  }
  auto dict = value.toGenericDict();
  auto fetch = [&](const char* key) {
    if (!dict.contains(key) || !dict.at(key).isTensor()) {
      throw FormatError("load_tensor_file: file '" + path.string() + "' has no tensor '" + key + "'");
    }
    return dict.at(key).toTensor();
  };
  torch::Tensor x = fetch("x");
  torch::Tensor y = fetch("y");
  if (y.dim() != 1 || y.is_floating_point()) {
    throw FormatError("load_tensor_file: 'y' in '" + path.string() + "' must be 1-D integer labels, got " +
                      c10::str(y.sizes()) + " " + std::string(c10::toString(y.scalar_type())));
  }
  constexpr int64_t kMostClasses = 1 << 20;
  if (y.numel() > 0 && (y.min().item<int64_t>() < 0 || y.max().item<int64_t>() >= kMostClasses))
    throw FormatError("load_tensor_file: the labels in '" + path.string() + "' must lie in [0, " +
                      std::to_string(kMostClasses) + "), got [" + std::to_string(y.min().item<int64_t>()) + ", " +
                      std::to_string(y.max().item<int64_t>()) + "]");
  if (num_classes <= 0) num_classes = y.numel() > 0 ? y.max().item<int64_t>() + 1 : 0;
  std::vector<std::string> names;
  for (int64_t c = 0; c < num_classes; ++c) names.push_back(std::to_string(c));
  return std::make_shared<TensorDataset>(x.contiguous(), y, std::move(names), path.string());
}

}  // namespace robustlab
