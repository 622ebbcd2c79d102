#include "robustlab/distributed/distributed.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <map>
#include <thread>

#include "robustlab/core/error.h"

namespace robustlab::distributed {
namespace {

std::function<const char*(const char*)> env(std::map<std::string, std::string> vars) {
  auto shared = std::make_shared<std::map<std::string, std::string>>(std::move(vars));
  return [shared](const char* name) -> const char* {
    auto it = shared->find(name);
    return it == shared->end() ? nullptr : it->second.c_str();
  };
}

TEST(Distributed, ReadsTorchrunAndSlurmConventions) {
  EXPECT_FALSE(options_from_environment(env({})));
  const auto t = options_from_environment(
      env({{"RANK", "2"}, {"WORLD_SIZE", "4"}, {"LOCAL_RANK", "0"}, {"MASTER_ADDR", "10.0.0.1"}, {"MASTER_PORT", "1234"}}));
  ASSERT_TRUE(t);
  EXPECT_EQ(t->rank, 2);
  EXPECT_EQ(t->world_size, 4);
  EXPECT_EQ(t->master_addr, "10.0.0.1");
  EXPECT_EQ(t->master_port, 1234);
  const auto s = options_from_environment(
      env({{"SLURM_PROCID", "5"}, {"SLURM_NTASKS", "16"}, {"SLURM_LOCALID", "1"}, {"SLURM_NODELIST", "gpu[03-06,9],cpu1"}}));
  ASSERT_TRUE(s);
  EXPECT_EQ(s->rank, 5);
  EXPECT_EQ(s->world_size, 16);
  EXPECT_EQ(s->local_rank, 1);
  EXPECT_EQ(s->master_addr, "gpu03");
  EXPECT_EQ(s->master_port, 29500);
  EXPECT_EQ(first_slurm_host("node7"), "node7");
  EXPECT_EQ(first_slurm_host("a[1,2],b"), "a1");
  EXPECT_EQ(first_slurm_host("x1,y[2-3]"), "x1");
  // Incomplete or malformed: one error naming the variable.
  EXPECT_THROW(options_from_environment(env({{"RANK", "0"}, {"WORLD_SIZE", "2"}, {"MASTER_ADDR", "h"}})), InvalidArgument);
  EXPECT_THROW(options_from_environment(env({{"RANK", "x"}, {"WORLD_SIZE", "2"}, {"MASTER_ADDR", "h"}, {"MASTER_PORT", "1"}})),
               InvalidArgument);
  EXPECT_THROW(options_from_environment(env({{"RANK", "2"}, {"WORLD_SIZE", "2"}, {"MASTER_ADDR", "h"}, {"MASTER_PORT", "1"}})),
               InvalidArgument);
}

TEST(Distributed, FlagsOverrideTheEnvironmentFieldByField) {
  EXPECT_FALSE(resolve_options({}, std::nullopt));
  const auto flags = resolve_options({.world_size = 4, .rank = 3, .master = "node9:2345"}, std::nullopt);
  ASSERT_TRUE(flags);
  EXPECT_EQ(flags->world_size, 4);
  EXPECT_EQ(flags->rank, 3);
  EXPECT_EQ(flags->master_addr, "node9");
  EXPECT_EQ(flags->master_port, 2345);
  EXPECT_FALSE(flags->agent_store);
  const auto host_only = resolve_options({.world_size = 2, .rank = 0, .master = "h"}, std::nullopt);
  EXPECT_EQ(host_only->master_port, 29500);
  // Over torchrun's variables (with the launcher's store): only the rank changes here.
  const auto launched = options_from_environment(env({{"RANK", "0"}, {"WORLD_SIZE", "2"}, {"MASTER_ADDR", "10.0.0.1"},
                                                      {"MASTER_PORT", "1234"}, {"TORCHELASTIC_USE_AGENT_STORE", "True"}}));
  ASSERT_TRUE(launched && launched->agent_store);
  const auto over = resolve_options({.rank = 1}, launched);
  EXPECT_EQ(over->rank, 1);
  EXPECT_EQ(over->world_size, 2);
  EXPECT_EQ(over->master_port, 1234);
  EXPECT_TRUE(over->agent_store);
  EXPECT_FALSE(resolve_options({.master = "10.0.0.2:99"}, launched)->agent_store);  // a new master hosts its own
  // Incomplete or malformed.
  EXPECT_THROW(resolve_options({.world_size = 2}, std::nullopt), InvalidArgument);
  EXPECT_THROW(resolve_options({.world_size = 2, .rank = 2}, std::nullopt), InvalidArgument);
  EXPECT_THROW(resolve_options({.world_size = 2, .rank = 0, .master = "h:port"}, std::nullopt), InvalidArgument);
  EXPECT_THROW(resolve_options({.world_size = 2, .rank = 0, .master = ":80"}, std::nullopt), InvalidArgument);
}

TEST(Distributed, ShardsCoverEveryItemOnceAndKeepBlocksWhole) {
  for (int world : {1, 2, 3, 5}) {
    for (int64_t n : {0, 1, 7, 100, 1001}) {
      std::vector<int> seen(static_cast<size_t>(n), 0), strided(static_cast<size_t>(n), 0);
      int64_t previous_end = 0;
      for (int r = 0; r < world; ++r) {
        const auto [begin, end] = contiguous_shard(n, r, world, 64);
        EXPECT_EQ(begin, previous_end);
        EXPECT_TRUE(begin % 64 == 0 || begin == n);
        previous_end = end;
        for (int64_t i = begin; i < end; ++i) ++seen[static_cast<size_t>(i)];
        for (int64_t i : strided_shard(n, r, world, 8)) {
          EXPECT_EQ((i / 8) % world, r);
          ++strided[static_cast<size_t>(i)];
        }
      }
      EXPECT_EQ(previous_end, n);
      for (int64_t i = 0; i < n; ++i) EXPECT_EQ(seen[static_cast<size_t>(i)] + strided[static_cast<size_t>(i)], 2);
    }
  }
}

int free_port() {
  // Ports from the test's pid, away from common services; each test uses its own.
  return 20000 + static_cast<int>(getpid() % 20000);
}

TEST(Distributed, ThreeRanksReduceGatherAndCheckTheirConfig) {
  const int world = 3, port = free_port();
  std::vector<std::string> errors(world);
  std::vector<torch::Tensor> sums(world), gathered(world);
  std::vector<std::thread> ranks;
  for (int r = 0; r < world; ++r) {
    ranks.emplace_back([&, r] {
      try {
        ProcessGroup group({.world_size = world, .rank = r, .master_port = port, .timeout = std::chrono::seconds(20)});
        sums[r] = group.all_reduce_sum(torch::tensor({int64_t{r}, int64_t{10}}));
        gathered[r] = group.all_gather(torch::arange(r + 1, torch::kFloat64) + 10 * r);  // unequal lengths
        group.check_same("configuration", "same");
        try {
          group.check_same("configuration", r == 2 ? "other" : "same");
        } catch (const InvalidArgument& e) {
          errors[r] = e.what();
        }
        group.barrier();
      } catch (const std::exception& e) {
        errors[r] = std::string("unexpected: ") + e.what();
      }
    });
  }
  for (auto& t : ranks) t.join();
  for (int r = 0; r < world; ++r) {
    ASSERT_TRUE(sums[r].defined()) << errors[r];
    EXPECT_TRUE(torch::equal(sums[r], torch::tensor({int64_t{3}, int64_t{30}})));
    EXPECT_TRUE(torch::equal(gathered[r], torch::tensor({0.0, 10.0, 11.0, 20.0, 21.0, 22.0}, torch::kFloat64)));
    EXPECT_NE(errors[r].find("rank 2 runs with a different configuration"), std::string::npos) << errors[r];
  }
}

TEST(Distributed, AMissingRankTimesOutWithAClearError) {
  const auto start = std::chrono::steady_clock::now();
  try {
    ProcessGroup group({.world_size = 2, .rank = 0, .master_port = free_port() + 1, .timeout = std::chrono::seconds(2)});
    FAIL() << "a rendezvous with one of two ranks succeeded";
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("rendezvous"), std::string::npos) << e.what();
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(30));
  EXPECT_THROW(ProcessGroup({.world_size = 2, .rank = 2}), InvalidArgument);
}

}  // namespace
}  // namespace robustlab::distributed
