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

// torch.save writes ZIP64 records. A locator that points beside the ZIP64 end record made
// LibTorch's miniz read past its buffer (fuzz/crashes/tensor_file); it is refused first, by name.
TEST(TensorFile, ZipRecordsThatPointElsewhereAreRefusedBeforeLibTorchReadsThem) {
  testing::TempDir dir;
  std::ifstream in(testing::shared_dir() / "reference/fmn/fmnist_test200.pt", std::ios::binary);
  const std::string good((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto write = [&](const std::string& name, const std::string& bytes) {
    std::ofstream(dir / name, std::ios::binary) << bytes;
    return dir / name;
  };
  const auto message = [](const std::filesystem::path& path) {
    try {
      load_tensor_file(path);
    } catch (const FormatError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(load_tensor_file(write("good.pt", good))->size(), 200);
  const size_t locator = good.rfind(std::string("PK\x06\x07", 4));
  ASSERT_NE(locator, std::string::npos);
  std::string moved = good;
  moved[locator + 8] = static_cast<char>(moved[locator + 8] - 22);  // the record's offset, 22 bytes early
  EXPECT_NE(message(write("moved.pt", moved)).find("ZIP64 locator does not point at the ZIP64 end record"),
            std::string::npos);
  std::string outside = good;
  const size_t record = good.rfind(std::string("PK\x06\x06", 4));
  outside[record + 48 + 7] = 1;  // the central directory's offset, beyond the file
  EXPECT_NE(message(write("outside.pt", outside)).find("central directory lies outside the file"), std::string::npos);
  EXPECT_NE(message(write("short.pt", good.substr(0, good.size() - 30))).find("no end of central directory"),
            std::string::npos);
}

}  // namespace
}  // namespace robustlab
