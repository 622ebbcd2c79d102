// Seeding of LibTorch and derivation of independent random streams (SplitMix64 mixing).
#include "robustlab/core/random.h"

#include <ATen/Context.h>

#include <atomic>

namespace robustlab {
namespace {
std::atomic<uint64_t> g_seed{0};
}

void seed_all(uint64_t seed) {
  g_seed = seed;
  at::manual_seed(seed);
}

uint64_t global_seed() { return g_seed; }

uint64_t text_hash(const std::string& text) {
  uint64_t h = 0;
  for (unsigned char c : text) h = mix_seed(h ^ c);
  return h;
}

uint64_t mix_seed(uint64_t value) {
  value += 0x9E3779B97F4A7C15ULL;
  value = (value ^ (value >> 30)) * 0xBF58476D1CE4E5B9ULL;
  value = (value ^ (value >> 27)) * 0x94D049BB133111EBULL;
  return value ^ (value >> 31);
}

std::mt19937_64 make_rng(uint64_t seed, uint64_t stream) {
  return std::mt19937_64(mix_seed(mix_seed(seed) ^ mix_seed(stream + 0x632BE59BD9B4E019ULL)));
}

}  // namespace robustlab
