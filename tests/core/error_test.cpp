#include "robustlab/core/error.h"

#include <gtest/gtest.h>

namespace robustlab {
namespace {

TEST(Error, KindsHaveDistinctExitCodes) {
  EXPECT_EQ(Error("x").exit_code(), 1);
  EXPECT_EQ(InvalidArgument("x").exit_code(), 2);
  EXPECT_EQ(IoError("x").exit_code(), 3);
  EXPECT_EQ(FormatError("x").exit_code(), 4);
  EXPECT_EQ(ShapeError("x").exit_code(), 5);
  EXPECT_EQ(NumericalError("x").exit_code(), 6);
  EXPECT_EQ(Interrupted().exit_code(), 130);
}

TEST(Error, SubclassesAreCaughtAsError) {
  try {
    throw FormatError("load_idx: file 'x' is truncated");
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "load_idx: file 'x' is truncated");
    EXPECT_EQ(e.exit_code(), 4);
  }
}

TEST(Error, FirstLineDropsStackTraces) {
  EXPECT_EQ(first_line("shape mismatch\nException raised from foo at bar.cpp:12"), "shape mismatch");
  EXPECT_EQ(first_line("single line"), "single line");
  EXPECT_EQ(first_line(""), "");
}

TEST(Error, TorchScriptSummaryIsTheFinalLine) {
  const std::string traceback =
      "The following operation failed in the TorchScript interpreter.\n"
      "Traceback of TorchScript, serialized code (most recent call last):\n"
      "  File \"code/__torch__/common.py\", line 17, in forward\n"
      "RuntimeError: expected input to have 1 channels, but got 3 channels instead\n";
  EXPECT_EQ(torch_error_summary(traceback), "RuntimeError: expected input to have 1 channels, but got 3 channels instead");
  EXPECT_EQ(torch_error_summary("plain error\nstack"), "plain error");
}

}  // namespace
}  // namespace robustlab
