#include "robustlab/core/csv.h"

#include <gtest/gtest.h>

#include "robustlab/core/error.h"

namespace robustlab {
namespace {

using Fields = std::vector<std::string>;

TEST(Csv, SplitsQuotedFieldsAsRfc4180) {
  EXPECT_EQ(split_csv_line("a,b,c"), (Fields{"a", "b", "c"}));
  EXPECT_EQ(split_csv_line("a,,c,"), (Fields{"a", "", "c", ""}));
  EXPECT_EQ(split_csv_line(""), (Fields{""}));
  EXPECT_EQ(split_csv_line("42,\"layer_r, r \",1\r"), (Fields{"42", "layer_r, r ", "1"}));
  EXPECT_EQ(split_csv_line("\"say \"\"hi\"\"\",x"), (Fields{"say \"hi\"", "x"}));
  EXPECT_THROW(split_csv_line("a,\"open"), FormatError);
}

}  // namespace
}  // namespace robustlab
