// IDX reader (MNIST format: 0x00 0x00 <type> <ndims>, big-endian dims, then the data), plain or
// gzip-compressed through zlib, which reads both transparently.
#include "robustlab/data/idx.h"

#include <zlib.h>

#include <torch/torch.h>

#include <cstdlib>

#include "robustlab/core/error.h"
#include "robustlab/core/paths.h"

namespace fs = std::filesystem;

namespace robustlab {
namespace {

class GzFile {
 public:
  explicit GzFile(const fs::path& path) : path_(path), file_(gzopen(path.c_str(), "rb")) {
    if (!file_) throw IoError("load_idx: cannot open '" + path.string() + "'");
    gzbuffer(file_, 1 << 18);
  }
  ~GzFile() { gzclose(file_); }
  GzFile(const GzFile&) = delete;
  GzFile& operator=(const GzFile&) = delete;

  /// Reads up to n bytes; returns how many were read. Throws FormatError on corrupt gzip data.
  size_t read(void* out, size_t n) {
    size_t total = 0;
    auto* dst = static_cast<char*>(out);
    while (total < n) {
      const unsigned chunk = static_cast<unsigned>(std::min<size_t>(n - total, 1u << 30));
      const int got = gzread(file_, dst + total, chunk);
      if (got < 0) {
        int errnum = 0;
        const char* msg = gzerror(file_, &errnum);
        throw FormatError("load_idx: file '" + path_.string() + "' is corrupt: " + msg);
      }
      if (got == 0) break;
      total += static_cast<size_t>(got);
    }
    return total;
  }

 private:
  fs::path path_;
  gzFile file_;
};

}  // namespace

IdxArray load_idx(const fs::path& path) {
  require_file(path, "load_idx");
  GzFile file(path);
  unsigned char magic[4];
  if (file.read(magic, 4) != 4) {
    throw FormatError("load_idx: file '" + path.string() + "' is truncated: no IDX header");
  }
  if (magic[0] != 0 || magic[1] != 0) {
    throw FormatError("load_idx: file '" + path.string() + "' is not an IDX file (bad magic number)");
  }
  if (magic[2] != 0x08) {
    throw FormatError("load_idx: file '" + path.string() + "' has data type 0x" +
                      std::to_string(static_cast<int>(magic[2])) + ", expected unsigned byte (0x08)");
  }
  const int ndims = magic[3];
  if (ndims < 1 || ndims > 4) {
    throw FormatError("load_idx: file '" + path.string() + "' declares " + std::to_string(ndims) +
                      " dimensions, expected 1 to 4");
  }
  IdxArray array;
  uint64_t count = 1;
  for (int d = 0; d < ndims; ++d) {
    unsigned char b[4];
    if (file.read(b, 4) != 4) {
      throw FormatError("load_idx: file '" + path.string() + "' is truncated inside its header");
    }
    const uint32_t dim = (uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) | (uint32_t{b[2]} << 8) | b[3];
    array.dims.push_back(dim);
    constexpr uint64_t kLargest = uint64_t{1} << 34;
    if (dim != 0 && count > kLargest / dim) {
      throw FormatError("load_idx: file '" + path.string() + "' declares an implausible size");
    }
    count *= dim;
  }
  // Read in chunks, so that memory follows the data there is, not what a header claims.
  size_t got = 0;
  while (got < count) {
    const size_t want = std::min<uint64_t>(count - got, size_t{1} << 24);
    array.data.resize(got + want);
    const size_t n = file.read(array.data.data() + got, want);
    got += n;
    if (n < want) break;
  }
  array.data.resize(got);
  if (got != count) {
    const int64_t per_item = array.dims[0] > 0 ? static_cast<int64_t>(count / array.dims[0]) : 1;
    throw FormatError("load_idx: file '" + path.string() + "' is truncated: header says " +
                      std::to_string(array.dims[0]) + " items, found " +
                      std::to_string(static_cast<int64_t>(got) / std::max<int64_t>(per_item, 1)));
  }
  unsigned char extra;
  if (file.read(&extra, 1) != 0) {
    throw FormatError("load_idx: file '" + path.string() + "' has data after the " +
                      std::to_string(array.dims[0]) + " items its header declares");
  }
  return array;
}

std::shared_ptr<TensorDataset> load_idx_dataset(const fs::path& images, const fs::path& labels,
                                                std::vector<std::string> class_names,
                                                std::string name) {
  IdxArray img = load_idx(images);
  IdxArray lab = load_idx(labels);
  if (img.dims.size() != 3) {
    throw FormatError("load_idx_dataset: image file '" + images.string() +
                      "' must be 3-dimensional [N,H,W], has " + std::to_string(img.dims.size()) +
                      " dimensions");
  }
  if (lab.dims.size() != 1 || lab.dims[0] != img.dims[0]) {
    throw FormatError("load_idx_dataset: label file '" + labels.string() + "' has " +
                      std::to_string(lab.dims[0]) + " labels for " + std::to_string(img.dims[0]) +
                      " images");
  }
  const auto n = img.dims[0], h = img.dims[1], w = img.dims[2];
  auto x = torch::from_blob(img.data.data(), {n, 1, h, w}, torch::kUInt8).clone();
  auto y = torch::from_blob(lab.data.data(), {n}, torch::kUInt8).to(torch::kInt64);
  return std::make_shared<TensorDataset>(std::move(x), std::move(y), std::move(class_names),
                                         std::move(name));
}

fs::path default_fashion_mnist_dir() {
  if (const char* env = std::getenv("ROBUSTLAB_FASHION_MNIST"); env && *env) return env;
  return "/usr/share/datasets/fashion-mnist";
}

const std::vector<std::string>& fashion_mnist_classes() {
  static const std::vector<std::string> names = {"T-shirt/top", "Trouser", "Pullover", "Dress",
                                                 "Coat",        "Sandal",  "Shirt",    "Sneaker",
                                                 "Bag",         "Ankle boot"};
  return names;
}

namespace {
/// The file `stem` in `dir`, raw or gzipped; the raw name if neither exists (for the error).
fs::path idx_file(const fs::path& dir, const std::string& stem) {
  if (fs::exists(dir / stem)) return dir / stem;
  if (fs::exists(dir / (stem + ".gz"))) return dir / (stem + ".gz");
  return dir / (stem + ".gz");
}

std::string idx_prefix(const std::string& split) {
  if (split == "train") return "train";
  if (split == "test") return "t10k";
  throw InvalidArgument("load_fashion_mnist: split must be 'train' or 'test', got '" + split + "'");
}
}  // namespace

bool is_idx_dir(const fs::path& dir) {
  return fs::is_directory(dir) && fs::exists(idx_file(dir, "t10k-images-idx3-ubyte"));
}

std::shared_ptr<TensorDataset> load_fashion_mnist(const std::string& split, const fs::path& dir) {
  const std::string prefix = idx_prefix(split);
  if (!fs::is_directory(dir)) {
    throw IoError("load_fashion_mnist: directory '" + dir.string() +
                  "' does not exist (install Debian's dataset-fashion-mnist or set "
                  "ROBUSTLAB_FASHION_MNIST)");
  }
  return load_idx_dataset(idx_file(dir, prefix + "-images-idx3-ubyte"),
                          idx_file(dir, prefix + "-labels-idx1-ubyte"), fashion_mnist_classes(),
                          "fashion-mnist/" + split);
}

}  // namespace robustlab
