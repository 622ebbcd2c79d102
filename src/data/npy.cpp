// The .npy format: numpy.lib.format (NEP 1): magic "\x93NUMPY", version, header length, a Python
// dict literal with 'descr', 'fortran_order' and 'shape', then the raw data.
#include "robustlab/data/npy.h"

#include <fstream>
#include <regex>

#include <torch/torch.h>

#include "robustlab/core/error.h"
#include "robustlab/core/paths.h"

namespace robustlab {

torch::Tensor read_npy_u8(const std::filesystem::path& path) {
  require_file(path, "npy");
  const std::string bytes = read_file(path);
  const std::string name = path.string();
  if (bytes.size() < 10 || bytes.compare(0, 6, "\x93NUMPY") != 0)
    throw FormatError("'" + name + "' is not a .npy file");
  const int major = static_cast<unsigned char>(bytes[6]);
  size_t header_len = 0, offset = 0;
  if (major == 1) {
    header_len = static_cast<unsigned char>(bytes[8]) | (static_cast<size_t>(static_cast<unsigned char>(bytes[9])) << 8);
    offset = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12) throw FormatError("'" + name + "' is truncated");
    for (int i = 3; i >= 0; --i) header_len = (header_len << 8) | static_cast<unsigned char>(bytes[8 + static_cast<size_t>(i)]);
    offset = 12;
  } else {
    throw FormatError("'" + name + "': unsupported .npy version " + std::to_string(major));
  }
  if (bytes.size() < offset + header_len) throw FormatError("'" + name + "' is truncated (header)");
  const std::string header = bytes.substr(offset, header_len);
  std::smatch m;
  if (!std::regex_search(header, m, std::regex("'descr'\\s*:\\s*'([^']*)'")) || (m[1] != "|u1" && m[1] != "<u1"))
    throw FormatError("'" + name + "' does not hold uint8 values (descr " + (m.size() > 1 ? m[1].str() : "?") + ")");
  if (std::regex_search(header, std::regex("'fortran_order'\\s*:\\s*True")))
    throw FormatError("'" + name + "' is in Fortran order; only C order is read");
  if (!std::regex_search(header, m, std::regex("'shape'\\s*:\\s*\\(([^)]*)\\)")))
    throw FormatError("'" + name + "': no shape in the header");
  std::vector<int64_t> shape;
  const std::string dims = m[1];
  const std::regex number("\\d+");
  for (std::sregex_iterator it(dims.begin(), dims.end(), number), end; it != end; ++it)
    shape.push_back(std::stoll(it->str()));
  int64_t count = 1;
  for (int64_t d : shape) count *= d;
  const size_t data = offset + header_len;
  if (bytes.size() - data < static_cast<size_t>(count))
    throw FormatError("'" + name + "' is truncated: " + std::to_string(bytes.size() - data) + " of " +
                      std::to_string(count) + " bytes");
  torch::Tensor out = torch::empty(shape, torch::kUInt8);
  std::memcpy(out.data_ptr<uint8_t>(), bytes.data() + data, static_cast<size_t>(count));
  return out;
}

DatasetPtr cifar_c_severity(const torch::Tensor& images, const torch::Tensor& labels, int severity,
                            const std::string& name) {
  if (images.dim() != 4 || labels.dim() != 1 || images.size(0) != labels.size(0) || images.size(0) % 5 != 0)
    throw ShapeError(name + ": images of shape " + c10::str(images.sizes()) +
                     "; expected [n,H,W,C] with n = " + std::to_string(labels.size(0)) + " labels, 5 severities");
  const int64_t block = images.size(0) / 5, start = (severity - 1) * block;
  const torch::Tensor x = images.narrow(0, start, block).permute({0, 3, 1, 2}).contiguous();
  const torch::Tensor y = labels.narrow(0, start, block).to(torch::kInt64);
  std::vector<std::string> classes;
  for (int64_t c = 0; c <= y.max().item<int64_t>(); ++c) classes.push_back(std::to_string(c));
  return std::make_shared<TensorDataset>(x, y, classes, name + "-" + std::to_string(severity));
}

}  // namespace robustlab
