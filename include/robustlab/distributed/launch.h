// A local launcher, as `torchrun --standalone --nproc-per-node N` is one: it starts N ranks of a
// command on this machine with torchrun's environment (RANK, WORLD_SIZE, LOCAL_RANK,
// LOCAL_WORLD_SIZE, MASTER_ADDR=127.0.0.1, MASTER_PORT, and OMP_NUM_THREADS=1 unless set), passes
// Ctrl-C and SIGTERM on to them, and fails as a whole when one rank fails: the others get SIGTERM,
// then SIGKILL after a grace period.
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace robustlab::distributed {

struct LaunchOptions {
  int nproc = 2;
  int master_port = 0;  ///< 0: a free port
  std::chrono::seconds grace{10};  ///< between SIGTERM and SIGKILL for the remaining ranks
  void validate() const;
};

/// A free TCP port on 127.0.0.1 (bound and released; another process could take it meanwhile).
int free_port();

/// Runs `command` (a program and its arguments, found on PATH) as `nproc` ranks and waits for them.
/// Returns normally when every rank exits with 0. Throws Error("launch: rank 1 exited with code
/// 3; the other ranks were stopped") when one fails, Interrupted when the launcher was asked to
/// stop (the ranks got SIGTERM), IoError when a rank cannot be started.
void launch_local(const LaunchOptions& options, const std::vector<std::string>& command);

}  // namespace robustlab::distributed
