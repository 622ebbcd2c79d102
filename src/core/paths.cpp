// Atomic file writes and file reading with errors that name the path.
#include "robustlab/core/paths.h"

#include <unistd.h>

#include <signal.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "robustlab/core/environment.h"
#include "robustlab/core/error.h"
#include "robustlab/core/log.h"

namespace fs = std::filesystem;

namespace robustlab {

namespace {

// Whether `name` is a temporary that write_atomically on this host (`marker`: ".tmp.<host>.") left
// behind when its process died.
bool stale_temporary(const std::string& name, const std::string& marker) {
  const size_t mark = name.rfind(marker);
  if (name.empty() || name[0] != '.' || mark == std::string::npos) return false;
  const std::string pid = name.substr(mark + marker.size());  // only this machine's, whose pids can be checked
  if (pid.empty() || pid.size() > 9 || pid.find_first_not_of("0123456789") != std::string::npos) return false;
  return ::kill(static_cast<pid_t>(std::stol(pid)), 0) != 0 && errno == ESRCH;  // its writer is gone
}

// Removes the stale temporaries among the entries of `it` (one folder, or recursively) whose name
// starts with `prefix`, and says how many were removed in `dir`.
template <class DirectoryIterator>
int64_t remove_stale(DirectoryIterator it, std::error_code ec, const fs::path& dir, const std::string& prefix) {
  const std::string marker = ".tmp." + host_name() + ".";
  int64_t removed = 0;
  for (; !ec && it != DirectoryIterator(); it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.rfind(prefix, 0) != 0 || !stale_temporary(name, marker) || !it->is_regular_file(ec)) continue;
    std::error_code remove_error;
    if (fs::remove(it->path(), remove_error)) ++removed;
  }
  if (removed > 0)
    log_info("removed ", removed, " partial file", removed == 1 ? "" : "s", " of an interrupted run in ", dir.string());
  return removed;
}

}  // namespace

int64_t remove_stale_temporaries(const fs::path& dir) {
  std::error_code ec;
  fs::recursive_directory_iterator it(dir, ec);
  return remove_stale(std::move(it), ec, dir, ".");
}

int64_t remove_stale_temporaries_of(const fs::path& target) {
  const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
  std::error_code ec;
  fs::directory_iterator it(dir, ec);
  return remove_stale(std::move(it), ec, dir, "." + target.filename().string() + ".tmp.");
}

void write_atomically(const fs::path& target, const std::function<void(const fs::path& tmp)>& write) {
  const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    throw IoError("write_atomically: cannot create directory '" + dir.string() + "': " + ec.message());
  }
  const fs::path tmp =
      dir / ("." + target.filename().string() + ".tmp." + host_name() + "." + std::to_string(::getpid()));
  try {
    write(tmp);
  } catch (...) {
    fs::remove(tmp, ec);
    throw;
  }
  fs::rename(tmp, target, ec);
  if (ec) {
    fs::remove(tmp, ec);
    throw IoError("write_atomically: cannot rename onto '" + target.string() + "': " + ec.message());
  }
}

void write_text_file(const fs::path& target, const std::string& content) {
  write_atomically(target, [&](const fs::path& tmp) {
    std::ofstream out(tmp, std::ios::binary);
    out << content;
    out.close();
    if (!out) throw IoError("write_text_file: cannot write '" + target.string() + "'");
  });
}

std::string read_file(const fs::path& path) {
  require_file(path, "read_file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError("read_file: cannot open '" + path.string() + "'");
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

void require_file(const fs::path& path, const std::string& what) {
  std::error_code ec;
  if (!fs::exists(path, ec)) {
    throw IoError(what + ": file '" + path.string() + "' does not exist");
  }
  if (fs::is_directory(path, ec)) {
    throw IoError(what + ": '" + path.string() + "' is a directory, expected a file");
  }
}

fs::path default_cache_dir() {
  if (const char* env = std::getenv("ROBUSTLAB_CACHE"); env && *env) return env;
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg) return fs::path(xdg) / "robustlab";
  if (const char* home = std::getenv("HOME"); home && *home) {
    return fs::path(home) / ".cache" / "robustlab";
  }
  return fs::path(".robustlab-cache");
}

}  // namespace robustlab
