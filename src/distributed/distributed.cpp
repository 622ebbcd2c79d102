// See distributed.h.
#include "robustlab/distributed/distributed.h"

#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#include <torch/torch.h>

#include <algorithm>

#include "robustlab/core/error.h"
#include "robustlab/core/random.h"

namespace robustlab::distributed {

void DistributedOptions::validate() const {
  if (world_size < 1) throw InvalidArgument("distributed: world size must be >= 1, got " + std::to_string(world_size));
  if (rank < 0 || rank >= world_size)
    throw InvalidArgument("distributed: rank " + std::to_string(rank) + " is outside 0.." + std::to_string(world_size - 1));
  if (master_port < 1 || master_port > 65535)
    throw InvalidArgument("distributed: master port must be in 1..65535, got " + std::to_string(master_port));
  if (master_addr.empty()) throw InvalidArgument("distributed: the master address is empty");
  if (timeout.count() < 1) throw InvalidArgument("distributed: the timeout must be >= 1 s");
}

namespace {

int parse_int(const char* name, const char* value) {
  try {
    size_t used = 0;
    const int v = std::stoi(value, &used);
    if (used == std::string(value).size()) return v;
  } catch (const std::logic_error&) {
  }
  throw InvalidArgument(std::string("distributed: environment variable ") + name + "='" + value + "' is not an integer");
}

}  // namespace

std::string first_slurm_host(const std::string& nodelist) {
  // The first entry ends at a comma outside brackets; a bracket range expands to its first value.
  size_t end = 0;
  for (int depth = 0; end < nodelist.size(); ++end) {
    if (nodelist[end] == '[') ++depth;
    if (nodelist[end] == ']') --depth;
    if (nodelist[end] == ',' && depth == 0) break;
  }
  const std::string first = nodelist.substr(0, end);
  const size_t open = first.find('[');
  if (open == std::string::npos) return first;
  const std::string inside = first.substr(open + 1, first.find(']') - open - 1);
  const std::string value = inside.substr(0, std::min(inside.find(','), inside.find('-')));
  return first.substr(0, open) + value;
}

std::optional<DistributedOptions> options_from_environment(const std::function<const char*(const char*)>& getenv) {
  const auto get = [&](const char* name) -> std::optional<std::string> {
    const char* v = getenv(name);
    if (v == nullptr || *v == '\0') return std::nullopt;
    return std::string(v);
  };
  DistributedOptions o;
  if (get("RANK") || get("WORLD_SIZE")) {  // torchrun
    for (const char* name : {"RANK", "WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT"}) {
      if (!get(name)) throw InvalidArgument(std::string("distributed: ") + name + " is not set (torchrun sets RANK, WORLD_SIZE, MASTER_ADDR and MASTER_PORT)");
    }
    o.rank = parse_int("RANK", get("RANK")->c_str());
    o.world_size = parse_int("WORLD_SIZE", get("WORLD_SIZE")->c_str());
    o.local_rank = get("LOCAL_RANK") ? parse_int("LOCAL_RANK", get("LOCAL_RANK")->c_str()) : 0;
    o.master_addr = *get("MASTER_ADDR");
    o.master_port = parse_int("MASTER_PORT", get("MASTER_PORT")->c_str());
  } else if (get("SLURM_PROCID") && get("SLURM_NTASKS")) {
    o.rank = parse_int("SLURM_PROCID", get("SLURM_PROCID")->c_str());
    o.world_size = parse_int("SLURM_NTASKS", get("SLURM_NTASKS")->c_str());
    o.local_rank = get("SLURM_LOCALID") ? parse_int("SLURM_LOCALID", get("SLURM_LOCALID")->c_str()) : 0;
    if (get("MASTER_ADDR")) {
      o.master_addr = *get("MASTER_ADDR");
    } else if (get("SLURM_NODELIST") || get("SLURM_JOB_NODELIST")) {
      o.master_addr = first_slurm_host(get("SLURM_NODELIST") ? *get("SLURM_NODELIST") : *get("SLURM_JOB_NODELIST"));
    } else {
      throw InvalidArgument("distributed: under Slurm, SLURM_NODELIST or MASTER_ADDR must be set");
    }
    if (get("MASTER_PORT")) o.master_port = parse_int("MASTER_PORT", get("MASTER_PORT")->c_str());
  } else {
    return std::nullopt;
  }
  o.agent_store = get("TORCHELASTIC_USE_AGENT_STORE") == std::optional<std::string>("True");
  o.validate();
  return o;
}

std::optional<DistributedOptions> resolve_options(const DistributedFlags& flags,
                                                  const std::optional<DistributedOptions>& environment) {
  if (!flags.any()) return environment;
  DistributedOptions o = environment.value_or(DistributedOptions{});
  if (!environment && (!flags.world_size || !flags.rank))
    throw InvalidArgument("distributed: --world-size and --rank go together (or come from torchrun's or Slurm's environment)");
  if (flags.world_size) o.world_size = *flags.world_size;
  if (flags.rank) o.rank = *flags.rank;
  if (!flags.master.empty()) {
    const size_t colon = flags.master.rfind(':');
    o.master_addr = flags.master.substr(0, colon);
    if (colon != std::string::npos) {
      const std::string port = flags.master.substr(colon + 1);
      if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos)
        throw InvalidArgument("distributed: --master '" + flags.master + "' is not HOST:PORT");
      o.master_port = std::stoi(port);
    }
    if (o.master_addr.empty()) throw InvalidArgument("distributed: --master '" + flags.master + "' has no host");
    o.agent_store = false;  // a master named by hand hosts its own store on rank 0
  }
  o.validate();
  return o;
}

std::pair<int64_t, int64_t> contiguous_shard(int64_t n, int rank, int world, int64_t block) {
  if (world < 1 || rank < 0 || rank >= world || block < 1 || n < 0) throw InvalidArgument("contiguous_shard: bad arguments");
  const int64_t blocks = (n + block - 1) / block;
  const int64_t base = blocks / world, extra = blocks % world;
  const int64_t first = rank * base + std::min<int64_t>(rank, extra);
  const int64_t count = base + (rank < extra ? 1 : 0);
  return {std::min(n, first * block), std::min(n, (first + count) * block)};
}

std::vector<int64_t> strided_shard(int64_t n, int rank, int world, int64_t block) {
  if (world < 1 || rank < 0 || rank >= world || block < 1 || n < 0) throw InvalidArgument("strided_shard: bad arguments");
  std::vector<int64_t> out;
  for (int64_t start = static_cast<int64_t>(rank) * block; start < n; start += static_cast<int64_t>(world) * block)
    for (int64_t i = start; i < std::min(n, start + block); ++i) out.push_back(i);
  return out;
}

struct ProcessGroup::Impl {
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<c10d::ProcessGroupGloo> group;
};

ProcessGroup::ProcessGroup(const DistributedOptions& o) : options_(o), impl_(std::make_unique<Impl>()) {
  o.validate();
  const std::string where = o.master_addr + ":" + std::to_string(o.master_port);
  c10d::TCPStoreOptions store_options;
  store_options.port = static_cast<std::uint16_t>(o.master_port);
  store_options.isServer = o.rank == 0 && !o.agent_store;
  store_options.numWorkers = o.world_size;
  store_options.waitWorkers = true;
  store_options.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(o.timeout);
  try {
    impl_->store = c10::make_intrusive<c10d::TCPStore>(o.master_addr, store_options);
  } catch (const std::exception& e) {
    throw IoError("distributed: rendezvous at " + where + " failed for rank " + std::to_string(o.rank) + " within " +
                  std::to_string(o.timeout.count()) + " s: the master is unreachable or its port is taken (" +
                  torch_error_summary(e.what()) + ")");
  }
  auto options = c10d::ProcessGroupGloo::Options::create(std::chrono::duration_cast<std::chrono::milliseconds>(o.timeout));
  // The transport binds to this machine: loopback when the master is local, else GLOO_SOCKET_IFNAME's
  // interface (as PyTorch reads it) or this host's own address.
  const char* interface = std::getenv("GLOO_SOCKET_IFNAME");
  const bool local = o.master_addr == "127.0.0.1" || o.master_addr == "localhost";
  options->devices.push_back(local ? c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1")
                             : interface != nullptr ? c10d::ProcessGroupGloo::createDeviceForInterface(interface)
                                                    : c10d::ProcessGroupGloo::createDefaultDevice());
  options->threads = 2;
  try {
    impl_->group = c10::make_intrusive<c10d::ProcessGroupGloo>(
        c10::make_intrusive<c10d::PrefixStore>("robustlab", impl_->store), o.rank, o.world_size, options);
  } catch (const std::exception& e) {
    throw IoError("distributed: rendezvous at " + where + " failed for rank " + std::to_string(o.rank) + " after " +
                  std::to_string(o.timeout.count()) + " s: not all " + std::to_string(o.world_size) +
                  " ranks arrived (" + torch_error_summary(e.what()) + ")");
  }
}

ProcessGroup::~ProcessGroup() = default;

namespace {

void wait(const c10::intrusive_ptr<c10d::Work>& work, const char* what, int rank) {
  try {
    work->wait();
  } catch (const std::exception& e) {
    throw IoError(std::string("distributed: ") + what + " failed on rank " + std::to_string(rank) +
                  " (another rank stopped or timed out): " + torch_error_summary(e.what()));
  }
}

}  // namespace

void ProcessGroup::barrier() { wait(impl_->group->barrier(), "barrier", rank()); }

torch::Tensor ProcessGroup::all_reduce_sum(const torch::Tensor& values) {
  std::vector<torch::Tensor> tensors = {values.contiguous().clone()};
  wait(impl_->group->allreduce(tensors), "all_reduce", rank());
  return tensors[0];
}

torch::Tensor ProcessGroup::all_gather(const torch::Tensor& values) {
  const torch::Tensor flat = values.contiguous().flatten();
  // Lengths first (the shards need not be equal), then the values padded to the longest.
  const torch::Tensor lengths = all_reduce_sum(
      torch::zeros({world_size()}, torch::kInt64).index_put_({rank()}, flat.size(0)));
  const int64_t longest = lengths.max().item<int64_t>();
  torch::Tensor padded = torch::zeros({longest}, flat.options());
  padded.narrow(0, 0, flat.size(0)).copy_(flat);
  std::vector<std::vector<torch::Tensor>> out(1);
  for (int r = 0; r < world_size(); ++r) out[0].push_back(torch::empty({longest}, flat.options()));
  std::vector<torch::Tensor> in = {padded};
  wait(impl_->group->allgather(out, in), "all_gather", rank());
  std::vector<torch::Tensor> parts;
  for (int r = 0; r < world_size(); ++r) parts.push_back(out[0][static_cast<size_t>(r)].narrow(0, 0, lengths[r].item<int64_t>()));
  return torch::cat(parts);
}

void ProcessGroup::check_same(const std::string& what, const std::string& text) {
  const auto hash = static_cast<int64_t>(text_hash(text) >> 1);
  const torch::Tensor all = all_gather(torch::tensor({hash}, torch::kInt64));
  for (int r = 1; r < world_size(); ++r) {
    if (all[r].item<int64_t>() != all[0].item<int64_t>())
      throw InvalidArgument("distributed: rank " + std::to_string(r) + " runs with a different " + what + " than rank 0");
  }
}

}  // namespace robustlab::distributed
