// LibTorch 1.13's copy of miniz reads past its buffer when a zip's ZIP64 locator points beside the
// ZIP64 end record (found by fuzz_tensor_file; Python's zipfile rejects such files). The records
// miniz trusts are checked first, as the zip format (PKWARE APPNOTE 4.3.14-4.3.16) lays them out.
#include "robustlab/data/zip_records.h"

#include <cstdint>
#include <fstream>
#include <optional>

#include "robustlab/core/error.h"

namespace robustlab {

void check_zip_records(const std::filesystem::path& path, const std::string& what, const std::string& is_not) {
  const auto fail = [&](const std::string& why) {
    throw FormatError(what + ": file '" + path.string() + "' is " + is_not + " (" + why + ")");
  };
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError(what + ": cannot open '" + path.string() + "'");
  in.seekg(0, std::ios::end);
  const auto n = static_cast<uint64_t>(in.tellg());
  // `width` bytes at `at` (fewer at the end of the file).
  const auto read_at = [&](uint64_t at, uint64_t width) {
    std::string bytes(at < n ? std::min(width, n - at) : 0, '\0');
    in.clear();
    in.seekg(static_cast<std::streamoff>(at));
    in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (static_cast<uint64_t>(in.gcount()) != bytes.size()) throw IoError(what + ": cannot read '" + path.string() + "'");
    return bytes;
  };
  const auto little = [&](uint64_t at, int width) {
    const std::string bytes = read_at(at, static_cast<uint64_t>(width));
    uint64_t v = 0;
    for (auto i = bytes.size(); i-- > 0;) v = (v << 8) | static_cast<uint8_t>(bytes[i]);
    return v;
  };
  const auto signature_at = [&](uint64_t at, const char* signature) { return read_at(at, 4) == std::string(signature, 4); };
  if (n < 22) fail("too short for a zip archive");
  // The end of central directory record: 22 bytes and a comment of at most 65,535, at the end.
  const uint64_t lowest = n > 22 + 65535 ? n - 22 - 65535 : 0;
  const std::string tail = read_at(lowest, n - lowest);
  std::optional<uint64_t> found;
  for (uint64_t at = n - 22 + 1; at-- > lowest && !found;)
    if (tail.compare(at - lowest, 4, "PK\x05\x06", 4) == 0) found = at;
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

}  // namespace robustlab
