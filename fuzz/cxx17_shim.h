// Force-included into the fuzz build only (-include, see CMakeLists.txt), which is C++17 because
// clang 14 cannot compile LibTorch's headers in C++20 against GCC 12's libstdc++: the two C++20
// library names robustlab's sources use, from libstdc++'s own C++17 equivalents.
#pragma once
#if __cplusplus < 202002L
#include <bit>
#include <type_traits>
namespace std {
namespace numbers {
inline constexpr double pi = 3.141592653589793238462643383279502884;
inline constexpr double e = 2.718281828459045235360287471352662498;
}  // namespace numbers
template <typename T, typename = std::enable_if_t<std::is_unsigned_v<T>>>
constexpr T bit_ceil(T x) noexcept {
  return std::__bit_ceil(x);
}
}  // namespace std
#endif
