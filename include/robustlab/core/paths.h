// File-system helpers shared by every module: atomic writes (temporary name, then rename), the
// cache directory, and reading whole files with errors that name the path.
#pragma once

#include <filesystem>
#include <functional>
#include <string>

namespace robustlab {

/// Removes what write_atomically leaves behind when its process is killed mid-write: files named
/// ".<name>.tmp.<host>.<pid>" under `dir` (recursively) of this host whose process no longer runs
/// (another machine's are left alone: their pids cannot be checked here). Returns how many. Long
/// jobs call it on their output folder when they start.
int64_t remove_stale_temporaries(const std::filesystem::path& dir);

/// The same for the temporaries of one file, `target` (its folder alone is listed): for files
/// rewritten during a job, such as checkpoints, before each write.
int64_t remove_stale_temporaries_of(const std::filesystem::path& target);

/// Writes a file atomically: `write` receives a temporary path beside `target`, which is renamed
/// onto `target` only if `write` returns normally. Throws IoError if the directory is not writable.
void write_atomically(const std::filesystem::path& target,
                      const std::function<void(const std::filesystem::path& tmp)>& write);

/// Writes `content` to `target` atomically.
void write_text_file(const std::filesystem::path& target, const std::string& content);

/// Reads a whole file; throws IoError naming `path` when it is missing or unreadable.
std::string read_file(const std::filesystem::path& path);

/// Throws IoError("<what>: file '<path>' does not exist") unless `path` is an existing file.
void require_file(const std::filesystem::path& path, const std::string& what);

/// robustlab's cache directory: $ROBUSTLAB_CACHE, else $XDG_CACHE_HOME/robustlab, else
/// ~/.cache/robustlab. Not created here.
std::filesystem::path default_cache_dir();

}  // namespace robustlab
