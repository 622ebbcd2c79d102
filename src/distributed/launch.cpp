// See launch.h.
#include "robustlab/distributed/launch.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <thread>

#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include "robustlab/core/error.h"

namespace robustlab::distributed {

void LaunchOptions::validate() const {
  if (nproc < 1 || nproc > 1024) throw InvalidArgument("launch: --nproc must be in 1..1024, got " + std::to_string(nproc));
  if (master_port < 0 || master_port > 65535) throw InvalidArgument("launch: the port must be in 0..65535");
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
  // The store every rank connects to, hosted here for as long as the ranks run.
  c10::intrusive_ptr<c10d::TCPStore> store;
  try {
    c10d::TCPStoreOptions store_options;
    store_options.port = static_cast<std::uint16_t>(o.master_port);
    store_options.isServer = true;
    store_options.waitWorkers = false;
    store = c10::make_intrusive<c10d::TCPStore>("127.0.0.1", store_options);
  } catch (const std::exception& e) {
    throw IoError("launch: cannot host the rendezvous store on 127.0.0.1:" + std::to_string(o.master_port) +
                  " (the port is taken?): " + torch_error_summary(e.what()));
  }
  const int port = store->getPort();
  // Each rank's environment, made before forking (a forked child of this threaded process only execs).
  std::vector<std::vector<std::string>> environments(static_cast<size_t>(o.nproc));
  for (int r = 0; r < o.nproc; ++r) {
    const std::map<std::string, std::string> set = {
        {"RANK", std::to_string(r)},        {"LOCAL_RANK", std::to_string(r)},
        {"WORLD_SIZE", std::to_string(o.nproc)}, {"LOCAL_WORLD_SIZE", std::to_string(o.nproc)},
        {"MASTER_ADDR", "127.0.0.1"},       {"MASTER_PORT", std::to_string(port)},
        {"TORCHELASTIC_USE_AGENT_STORE", "True"}};
    auto& env = environments[static_cast<size_t>(r)];
    bool has_omp = false;
    for (char** e = environ; *e != nullptr; ++e) {
      const std::string entry(*e);
      const std::string key = entry.substr(0, entry.find('='));
      has_omp = has_omp || key == "OMP_NUM_THREADS";
      if (set.count(key) == 0) env.push_back(entry);
    }
    for (const auto& [key, value] : set) env.push_back(key + "=" + value);
    if (!has_omp) env.push_back("OMP_NUM_THREADS=1");
  }
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
      std::vector<char*> argv, envp;
      for (const auto& a : command) argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      for (const auto& e : environments[static_cast<size_t>(r)]) envp.push_back(const_cast<char*>(e.c_str()));
      envp.push_back(nullptr);
      execvpe(argv[0], argv.data(), envp.data());
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
