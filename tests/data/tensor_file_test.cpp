#include "robustlab/data/tensor_file.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <fstream>

#include "robustlab/core/error.h"
#include "robustlab/data/idx.h"
#include "test_support.h"

namespace robustlab {
namespace {

TEST(TensorFile, ReadsTheFmnReferenceImages) {
  const auto d = load_tensor_file(testing::shared_dir() / "reference/fmn/fmnist_test200.pt");
  ASSERT_EQ(d->size(), 200);
  EXPECT_EQ(d->num_classes(), 10);
  // The README says: the first 200 correctly classified test images, test indices 0..213, pixels/255.
  const auto fm = load_fashion_mnist("test");
  const Example ours = d->get(0);
  const Example theirs = fm->get(0);
  EXPECT_TRUE(ours.image.equal(theirs.image));
  EXPECT_EQ(ours.label, theirs.label);
}

TEST(TensorFile, BrokenFilesAreFormatErrors) {
  testing::TempDir dir;
  std::ofstream(dir / "junk.pt", std::ios::binary) << "definitely not a pickle";
  EXPECT_THROW(load_tensor_file(dir / "junk.pt"), FormatError);
  EXPECT_THROW(load_tensor_file(dir / "missing.pt"), IoError);
}

}  // namespace
}  // namespace robustlab
