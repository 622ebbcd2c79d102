// The .npy format: numpy.lib.format (NEP 1): magic "\x93NUMPY", version, header length, a Python
// dict literal with 'descr', 'fortran_order' and 'shape', then the raw data.
#include "robustlab/data/npy.h"

#include <cstring>
#include <fstream>
#include <regex>

#include <torch/torch.h>

#include "robustlab/core/error.h"
#include "robustlab/core/paths.h"

namespace robustlab {

namespace {

struct Dtype {
  const char* descr;
  c10::ScalarType type;
  size_t size;
};
// Little-endian (or byte-order free) dtypes only: every machine robustlab runs on is little-endian.
constexpr Dtype kDtypes[] = {
    {"|b1", torch::kBool, 1},    {"|u1", torch::kUInt8, 1},   {"|i1", torch::kInt8, 1},
    {"<i2", torch::kInt16, 2},   {"<i4", torch::kInt32, 4},   {"<i8", torch::kInt64, 8},
    {"<f4", torch::kFloat32, 4}, {"<f8", torch::kFloat64, 8},
};

const Dtype* dtype_of(std::string descr) {
  if (descr.size() == 3 && (descr[0] == '<' || descr[0] == '=') && descr[2] == '1') descr[0] = '|';
  if (descr.size() == 3 && descr[0] == '=') descr[0] = '<';
  for (const Dtype& d : kDtypes)
    if (descr == d.descr) return &d;
  return nullptr;
}

const Dtype* dtype_of(c10::ScalarType type) {
  for (const Dtype& d : kDtypes)
    if (d.type == type) return &d;
  return nullptr;
}

/// CRC-32 (IEEE 802.3), which zip stores for every member.
uint32_t crc32(const std::string& data) {
  uint32_t crc = 0xFFFFFFFFu;
  for (unsigned char byte : data) {
    crc ^= byte;
    for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

void put16(std::string& out, uint32_t v) {
  out += static_cast<char>(v & 0xFF);
  out += static_cast<char>((v >> 8) & 0xFF);
}
void put32(std::string& out, uint32_t v) {
  put16(out, v & 0xFFFF);
  put16(out, v >> 16);
}

}  // namespace

torch::Tensor read_npy(const std::filesystem::path& path) {
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
  if (!std::regex_search(header, m, std::regex("'descr'\\s*:\\s*'([^']*)'")))
    throw FormatError("'" + name + "': no dtype in the header");
  const Dtype* dtype = dtype_of(m[1]);
  if (!dtype)
    throw FormatError("'" + name + "' holds dtype '" + m[1].str() +
                      "'; robustlab reads bool, uint8, int8/16/32/64 and float32/64, little-endian");
  if (std::regex_search(header, std::regex("'fortran_order'\\s*:\\s*True")))
    throw FormatError("'" + name + "' is in Fortran order; only C order is read");
  if (!std::regex_search(header, m, std::regex("'shape'\\s*:\\s*\\(([^)]*)\\)")))
    throw FormatError("'" + name + "': no shape in the header");
  std::vector<int64_t> shape;
  const std::string dims = m[1];
  const std::regex number("\\d+");
  int64_t count = 1;
  for (std::sregex_iterator it(dims.begin(), dims.end(), number), end; it != end; ++it) {
    const std::string digits = it->str();
    const int64_t d = digits.size() > 12 ? -1 : std::stoll(digits);
    if (d < 0 || (d > 0 && count > (int64_t{1} << 40) / d))
      throw FormatError("'" + name + "' declares an implausible shape (" + dims + ")");
    shape.push_back(d);
    count *= d;
  }
  const size_t data = offset + header_len, need = static_cast<size_t>(count) * dtype->size;
  if (bytes.size() - data < need)
    throw FormatError("'" + name + "' is truncated: " + std::to_string(bytes.size() - data) + " of " +
                      std::to_string(need) + " bytes");
  torch::Tensor out = torch::empty(shape, dtype->type);
  if (need > 0) std::memcpy(out.data_ptr(), bytes.data() + data, need);  // an empty array has no storage
  return out;
}

torch::Tensor read_npy_u8(const std::filesystem::path& path) {
  torch::Tensor t = read_npy(path);
  if (t.scalar_type() != torch::kUInt8)
    throw FormatError("'" + path.string() + "' does not hold uint8 values (dtype " +
                      std::string(c10::toString(t.scalar_type())) + ")");
  return t;
}

std::string npy_bytes(const torch::Tensor& array) {
  const Dtype* dtype = dtype_of(array.scalar_type());
  if (!dtype)
    throw InvalidArgument("npy: cannot write dtype " + std::string(c10::toString(array.scalar_type())));
  const torch::Tensor t = array.contiguous().cpu();
  std::string shape;
  for (int64_t d : t.sizes()) shape += std::to_string(d) + ", ";
  if (t.dim() == 1) shape.pop_back();                       // "(3,)"
  if (t.dim() > 1) shape.resize(shape.size() - 2);          // "(3, 4)"
  std::string header = "{'descr': '" + std::string(dtype->descr) + "', 'fortran_order': False, 'shape': (" + shape + "), }";
  header.resize(((10 + header.size() + 1 + 63) / 64) * 64 - 10 - 1, ' ');  // data aligned to 64 bytes
  header += '\n';
  std::string out = "\x93NUMPY";
  out += '\x01';
  out += '\x00';
  put16(out, static_cast<uint32_t>(header.size()));
  out += header;
  out.append(static_cast<const char*>(t.data_ptr()), static_cast<size_t>(t.numel()) * dtype->size);
  return out;
}

void write_npy(const std::filesystem::path& path, const torch::Tensor& array) {
  write_text_file(path, npy_bytes(array));
}

void write_npz(const std::filesystem::path& path, const std::vector<std::pair<std::string, torch::Tensor>>& arrays) {
  // A zip archive (PKWARE APPNOTE 6.3) of stored (uncompressed) members "<name>.npy".
  std::string zip, directory;
  for (const auto& [name, array] : arrays) {
    const std::string data = npy_bytes(array), file = name + ".npy";
    if (data.size() >= 0xFFFFFFFFu) throw InvalidArgument("npz: array '" + name + "' is over 4 GiB (zip64 is not written)");
    const uint32_t crc = crc32(data), offset = static_cast<uint32_t>(zip.size());
    std::string common;
    put16(common, 20);  // version needed
    put16(common, 0);   // flags
    put16(common, 0);   // stored
    put16(common, 0);   // time
    put16(common, 0x21);  // date: 1980-01-01
    put32(common, crc);
    put32(common, static_cast<uint32_t>(data.size()));
    put32(common, static_cast<uint32_t>(data.size()));
    put16(common, static_cast<uint32_t>(file.size()));
    put16(common, 0);  // extra length
    put32(zip, 0x04034b50);
    zip += common + file + data;
    put32(directory, 0x02014b50);
    put16(directory, 20);  // version made by
    directory += common;
    put16(directory, 0);  // comment length
    put16(directory, 0);  // disk
    put16(directory, 0);  // internal attributes
    put32(directory, 0);  // external attributes
    put32(directory, offset);
    directory += file;
  }
  const uint32_t at = static_cast<uint32_t>(zip.size());
  zip += directory;
  put32(zip, 0x06054b50);
  put16(zip, 0);
  put16(zip, 0);
  put16(zip, static_cast<uint32_t>(arrays.size()));
  put16(zip, static_cast<uint32_t>(arrays.size()));
  put32(zip, static_cast<uint32_t>(directory.size()));
  put32(zip, at);
  put16(zip, 0);
  write_text_file(path, zip);
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
