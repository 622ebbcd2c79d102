#include "robustlab/core/random.h"

#include <gtest/gtest.h>

#include <set>

namespace robustlab {
namespace {

TEST(Random, SameSeedAndStreamRepeat) {
  auto a = make_rng(7, 3);
  auto b = make_rng(7, 3);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(a(), b());
}

TEST(Random, StreamsAndSeedsDiffer) {
  std::set<uint64_t> first;
  for (uint64_t seed = 0; seed < 4; ++seed) {
    for (uint64_t stream = 0; stream < 64; ++stream) first.insert(make_rng(seed, stream)());
  }
  EXPECT_EQ(first.size(), 4u * 64u);
}

TEST(Random, MixSeedKnownValue) {
  // SplitMix64's first output for state 0 (Vigna's reference implementation).
  EXPECT_EQ(mix_seed(0), 0xE220A8397B1DCDAFULL);
}

TEST(Random, SeedAllIsRecorded) {
  seed_all(1234);
  EXPECT_EQ(global_seed(), 1234u);
}

}  // namespace
}  // namespace robustlab
