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

// Whether `name` is a temporary that write_atomically on this host left behind when its process died.
bool stale_temporary(const std::string& name) {
  const std::string here = ".tmp." + host_name() + ".";
  const size_t mark = name.rfind(here);
  if (name.empty() || name[0] != '.' || mark == std::string::npos) return false;
  const std::string pid = name.substr(mark + here.size());  // only this machine's, whose pids can be checked
  if (pid.empty() || pid.size() > 9 || pid.find_first_not_of("0123456789") != std::string::npos) return false;
  return ::kill(static_cast<pid_t>(std::stol(pid)), 0) != 0 && errno == ESRCH;  // its writer is gone
}

int64_t reported(int64_t removed, const fs::path& where) {
  if (removed > 0)
    log_info("removed ", removed, " partial file", removed == 1 ? "" : "s", " of an interrupted run in ", where.string());
  return removed;
}

}  // namespace

int64_t remove_stale_temporaries(const fs::path& dir) {
  std::error_code ec;
  int64_t removed = 0;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (!stale_temporary(it->path().filename().string()) || !it->is_regular_file(ec)) continue;
    std::error_code remove_error;
    if (fs::remove(it->path(), remove_error)) ++removed;
  }
  return reported(removed, dir);
}

int64_t remove_stale_temporaries_of(const fs::path& target) {
  const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
  const std::string prefix = "." + target.filename().string() + ".tmp.";
  std::error_code ec;
  int64_t removed = 0;
  for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.rfind(prefix, 0) != 0 || !stale_temporary(name) || !it->is_regular_file(ec)) continue;
    std::error_code remove_error;
    if (fs::remove(it->path(), remove_error)) ++removed;
  }
  return reported(removed, dir);
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
