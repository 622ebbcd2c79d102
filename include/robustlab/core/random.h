// One seed for every random source: LibTorch's generator, and independent per-item streams derived
// from (seed, stream id) so that results do not depend on the thread count or the order of work.
#pragma once

#include <cstdint>
#include <random>
#include <string>

namespace robustlab {

/// Seeds LibTorch's default CPU generator and records `seed` as the process seed.
void seed_all(uint64_t seed);
/// The seed last given to seed_all (0 before).
uint64_t global_seed();

/// SplitMix64 mixing: a well-spread 64-bit value from any input (Steele et al. 2014).
uint64_t mix_seed(uint64_t value);

/// A well-spread 64-bit value from a string (mix_seed folded over its bytes), the same on every
/// platform and build: for cache keys of configurations.
uint64_t text_hash(const std::string& text);

/// An independent generator for item `stream` (an image index, a batch number) under `seed`.
/// The same (seed, stream) always gives the same sequence.
std::mt19937_64 make_rng(uint64_t seed, uint64_t stream);

}  // namespace robustlab
