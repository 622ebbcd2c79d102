// A local launcher, as `torchrun --standalone --nproc-per-node N` is one: it hosts the rendezvous
// store itself (on a port the system picks, so no other process can take it between choosing and
// binding), starts N ranks of a command on this machine with torchrun's environment (RANK,
// WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR=127.0.0.1, MASTER_PORT,
// TORCHELASTIC_USE_AGENT_STORE=True, and OMP_NUM_THREADS=1 unless set), passes Ctrl-C and SIGTERM
// on to them, and fails as a whole when one rank fails: the others get SIGTERM, then SIGKILL after
// a grace period.
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace robustlab::distributed {

struct LaunchOptions {
  int nproc = 2;
  int master_port = 0;  ///< the store's port; 0: one the system picks
  std::chrono::seconds grace{10};  ///< between SIGTERM and SIGKILL for the remaining ranks
  void validate() const;
};

/// Runs `command` (a program and its arguments, found on PATH) as `nproc` ranks and waits for them.
/// Returns normally when every rank exits with 0. Throws Error("launch: rank 1 exited with code
/// 3; the other ranks were stopped") when one fails, Interrupted when the launcher was asked to
/// stop (the ranks got SIGTERM), IoError when the store's port is taken or a rank cannot be started.
void launch_local(const LaunchOptions& options, const std::vector<std::string>& command);

}  // namespace robustlab::distributed
