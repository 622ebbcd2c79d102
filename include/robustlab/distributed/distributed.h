// Many processes on one or many machines, on PyTorch's own engine: LibTorch's c10d process groups
// (ProcessGroupGloo on CPU; a CUDA LibTorch adds NCCL), rendezvous through c10d's TCPStore on the
// master, launched with the environment conventions of torchrun (RANK, WORLD_SIZE, LOCAL_RANK,
// MASTER_ADDR, MASTER_PORT) or Slurm (SLURM_PROCID, SLURM_NTASKS, SLURM_LOCALID, the first host of
// SLURM_NODELIST). Sharding is a pure function of (size, rank, world size): every rank computes
// every other rank's shard without communication.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <torch/types.h>

namespace robustlab::distributed {

struct DistributedOptions {
  int world_size = 1;
  int rank = 0;
  int local_rank = 0;
  std::string master_addr = "127.0.0.1";
  int master_port = 29500;
  std::chrono::seconds timeout{60};  ///< rendezvous and every collective
  /// The store is hosted by the launcher (torchrun's TORCHELASTIC_USE_AGENT_STORE, set by
  /// `robustlab launch`), not by rank 0: every rank connects to it as a client.
  bool agent_store = false;
  void validate() const;
};

/// Flags given on the command line (--world-size, --rank, --master HOST:PORT); unset fields are
/// absent.
struct DistributedFlags {
  std::optional<int> world_size;
  std::optional<int> rank;
  std::string master;  ///< "host:port", "host" (port 29500) or empty
  bool any() const { return world_size || rank || !master.empty(); }
};

/// The flags over the environment's options (flags win, field by field). nullopt when neither gives
/// any. Throws InvalidArgument when the result lacks a world size or a rank, or --master is malformed.
std::optional<DistributedOptions> resolve_options(const DistributedFlags& flags,
                                                  const std::optional<DistributedOptions>& environment);

/// The options the environment gives: torchrun's variables, else Slurm's (with MASTER_ADDR and
/// MASTER_PORT overriding the first host and the default port 29500), else nothing. Throws
/// InvalidArgument naming the variable when one is set but malformed or incomplete.
std::optional<DistributedOptions> options_from_environment(
    const std::function<const char*(const char*)>& getenv = [](const char* name) { return std::getenv(name); });

/// The first host of a Slurm node list: "node[01-04,07],gpu3" -> "node01".
std::string first_slurm_host(const std::string& nodelist);

/// Contiguous shard: the positions [begin, end) of `rank` among `world` ranks over `n` items
/// grouped in blocks of `block` (a batch: blocks are never split), the first ranks taking one more
/// block when the blocks do not divide evenly.
std::pair<int64_t, int64_t> contiguous_shard(int64_t n, int rank, int world, int64_t block = 1);
/// Strided shard: the blocks rank, rank + world, rank + 2·world, … as item positions.
std::vector<int64_t> strided_shard(int64_t n, int rank, int world, int64_t block = 1);

/// A process group (Gloo) joined through the TCPStore at master_addr:master_port. Rank 0 hosts the
/// store. Construction waits for every rank up to the timeout, then throws IoError
/// ("rendezvous ... timed out after 60 s: 1 of 2 ranks arrived").
class ProcessGroup {
 public:
  explicit ProcessGroup(const DistributedOptions& options);
  ~ProcessGroup();
  ProcessGroup(const ProcessGroup&) = delete;
  ProcessGroup& operator=(const ProcessGroup&) = delete;

  int rank() const { return options_.rank; }
  int world_size() const { return options_.world_size; }
  bool is_main() const { return options_.rank == 0; }

  void barrier();
  /// Elementwise sum over ranks of an int64/float64 tensor (same shape on every rank).
  torch::Tensor all_reduce_sum(const torch::Tensor& values);
  /// Every rank's `values` (any length, 1-D), concatenated in rank order, on every rank.
  torch::Tensor all_gather(const torch::Tensor& values);
  /// Throws InvalidArgument on every rank when the ranks' `text`s (a configuration) differ, naming
  /// the first rank that differs from rank 0.
  void check_same(const std::string& what, const std::string& text);

 private:
  struct Impl;
  DistributedOptions options_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace robustlab::distributed
