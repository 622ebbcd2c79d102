#include "robustlab/core/progress.h"

#include <gtest/gtest.h>

#include "robustlab/core/error.h"

namespace robustlab {
namespace {

TEST(Progress, FormatsDurations) {
  EXPECT_EQ(format_duration(5), "5s");
  EXPECT_EQ(format_duration(65), "1m05s");
  EXPECT_EQ(format_duration(3720), "1h02m");
  EXPECT_EQ(format_duration(-1), "?");
}

TEST(Progress, CountsAndReportsInItsLine) {
  Progress p("decode", 200);
  p.advance(50);
  p.advance();
  EXPECT_EQ(p.done(), 51);
  const std::string line = p.line();
  EXPECT_NE(line.find("decode  51/200  25%"), std::string::npos) << line;
  EXPECT_NE(line.find("it/s"), std::string::npos) << line;
}

TEST(Progress, IsSilentWhenStderrIsNotATerminal) {
  // ctest captures stderr through a pipe, so the bar must stay off.
  Progress p("x", 10);
  EXPECT_FALSE(p.enabled());
}

}  // namespace
}  // namespace robustlab
