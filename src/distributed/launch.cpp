// See launch.h.
#include "robustlab/distributed/launch.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include "robustlab/core/error.h"

namespace robustlab::distributed {

void LaunchOptions::validate() const {
  if (nproc < 1 || nproc > 1024) throw InvalidArgument("launch: --nproc must be in 1..1024, got " + std::to_string(nproc));
  if (master_port < 0 || master_port > 65535) throw InvalidArgument("launch: the port must be in 0..65535");
}

int free_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw IoError(std::string("launch: cannot open a socket: ") + std::strerror(errno));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    close(fd);
    throw IoError(std::string("launch: cannot find a free port: ") + std::strerror(errno));
  }
  close(fd);
  return ntohs(addr.sin_port);
}

namespace {

std::string describe(int status) {
  if (WIFEXITED(status)) return "exited with code " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return std::string("was killed by signal ") + strsignal(WTERMSIG(status));
  return "stopped";
}

}  // namespace

void launch_local(const LaunchOptions& o, const std::vector<std::string>& command) {
  o.validate();
  if (command.empty()) throw InvalidArgument("launch: no command given (robustlab launch --nproc N -- COMMAND ...)");
  const int port = o.master_port > 0 ? o.master_port : free_port();
  std::vector<pid_t> pids(static_cast<size_t>(o.nproc), -1);
  std::vector<int> status(static_cast<size_t>(o.nproc), 0);
  std::vector<bool> running(static_cast<size_t>(o.nproc), false);
  // Each rank leads its own process group, so that stopping it also stops what it started.
  const auto stop_all = [&](int sig) {
    for (size_t r = 0; r < pids.size(); ++r)
      if (pids[r] > 0) kill(-pids[r], sig);
  };
  for (int r = 0; r < o.nproc; ++r) {
    const pid_t pid = fork();
    if (pid < 0) {
      stop_all(SIGKILL);
      throw IoError(std::string("launch: cannot start rank ") + std::to_string(r) + ": " + std::strerror(errno));
    }
    if (pid == 0) {  // the rank: its environment, then the command
      setpgid(0, 0);
      signal(SIGINT, SIG_DFL);
      signal(SIGTERM, SIG_DFL);
      setenv("RANK", std::to_string(r).c_str(), 1);
      setenv("LOCAL_RANK", std::to_string(r).c_str(), 1);
      setenv("WORLD_SIZE", std::to_string(o.nproc).c_str(), 1);
      setenv("LOCAL_WORLD_SIZE", std::to_string(o.nproc).c_str(), 1);
      setenv("MASTER_ADDR", "127.0.0.1", 1);
      setenv("MASTER_PORT", std::to_string(port).c_str(), 1);
      setenv("OMP_NUM_THREADS", "1", 0);
      std::vector<char*> argv;
      for (const auto& a : command) argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      execvp(argv[0], argv.data());
      std::fprintf(stderr, "robustlab: error: launch: cannot run '%s': %s\n", argv[0], std::strerror(errno));
      _exit(127);
    }
    setpgid(pid, pid);  // also here: whichever runs first
    pids[static_cast<size_t>(r)] = pid;
    running[static_cast<size_t>(r)] = true;
  }
  int left = o.nproc, failed = -1;
  bool interrupted = false;
  std::chrono::steady_clock::time_point kill_at{};
  while (left > 0) {
    // The ranks that ended since the last look. When several failed at once, the one killed by a
    // signal is the likelier cause (the others then lost their peer), so it is the one named.
    int failed_now = -1;
    for (size_t r = 0; r < pids.size(); ++r) {
      if (!running[r]) continue;
      int st = 0;
      if (waitpid(pids[r], &st, WNOHANG) == pids[r]) {
        running[r] = false;
        status[r] = st;
        --left;
        const bool ok = WIFEXITED(st) && WEXITSTATUS(st) == 0;
        if (!ok && (failed_now < 0 || (WIFSIGNALED(st) && !WIFSIGNALED(status[static_cast<size_t>(failed_now)]))))
          failed_now = static_cast<int>(r);
      }
    }
    if (failed_now >= 0 && failed < 0 && !interrupted) {
      failed = failed_now;
      stop_all(SIGTERM);
      kill_at = std::chrono::steady_clock::now() + o.grace;
    }
    try {
      throw_if_interrupted();
    } catch (const Interrupted&) {
      if (!interrupted) {
        interrupted = true;
        stop_all(SIGTERM);
        kill_at = std::chrono::steady_clock::now() + o.grace;
      }
    }
    if ((failed >= 0 || interrupted) && left > 0 && std::chrono::steady_clock::now() > kill_at) stop_all(SIGKILL);
    if (left > 0) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  if (failed >= 0 || interrupted) stop_all(SIGKILL);  // what the stopped ranks left behind
  if (interrupted) throw Interrupted();
  if (failed >= 0) {
    throw Error("launch: rank " + std::to_string(failed) + " " + describe(status[static_cast<size_t>(failed)]) +
                "; the other ranks were stopped");
  }
}

}  // namespace robustlab::distributed
