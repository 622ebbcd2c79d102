// The zip records of a PyTorch file (torch.save, TorchScript, robustlab checkpoints), checked before
// LibTorch reads it.
#pragma once

#include <filesystem>
#include <string>

namespace robustlab {

/// Throws FormatError "<what>: file '<path>' is <is_not> (<why>)", e.g. with is_not "not a torch.save
/// file", unless the records LibTorch's
/// miniz trusts are where they say: the end of central directory, the ZIP64 locator and end record
/// when present, and the start of the central directory they point at. Throws IoError when the file
/// cannot be read. Reads only those records, not the whole file.
void check_zip_records(const std::filesystem::path& path, const std::string& what, const std::string& is_not);

}  // namespace robustlab
