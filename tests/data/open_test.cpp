#include "robustlab/data/open.h"

#include <gtest/gtest.h>

#include "robustlab/core/error.h"
#include "test_support.h"

namespace robustlab {
namespace {

TEST(OpenDataset, DefaultIsFashionMnistTest) {
  const DatasetPtr d = open_dataset({});
  EXPECT_EQ(d->name(), "fashion-mnist/test");
  EXPECT_EQ(d->size(), 10000);
  DatasetOptions o;
  o.split = "train";
  o.subset.limit = 100;
  EXPECT_EQ(open_dataset(o)->size(), 100);
}

TEST(OpenDataset, IdxFolderPtFileAndUnknownNames) {
  DatasetOptions o;
  o.spec = "/usr/share/datasets/fashion-mnist";
  EXPECT_EQ(open_dataset(o)->size(), 10000);
  EXPECT_TRUE(has_splits(o));
  o.spec = (testing::shared_dir() / "reference/fmn/fmnist_test200.pt").string();
  EXPECT_EQ(open_dataset(o)->size(), 200);
  EXPECT_FALSE(has_splits(o));
  o.spec = "imagenet-21k";
  try {
    open_dataset(o);
    FAIL();
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("imagenet-21k"), std::string::npos);
  }
  o.spec = "fashion-mnist";
  o.split = "val";
  EXPECT_THROW(open_dataset(o), InvalidArgument);
}

}  // namespace
}  // namespace robustlab
