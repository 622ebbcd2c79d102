// .npy reading (uint8, versions 1 and 2) and CIFAR-C severity blocks; broken files are named.
#include <fstream>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "robustlab/core/error.h"
#include "robustlab/data/npy.h"
#include "test_support.h"

namespace robustlab {
namespace {

TEST(Npy, ReadsUint8ArraysOfVersionOneAndTwo) {
  testing::TempDir dir;
  std::vector<uint8_t> values(2 * 3 * 4);
  for (size_t i = 0; i < values.size(); ++i) values[i] = static_cast<uint8_t>(i * 7);
  for (int version : {1, 2}) {
    testing::write_npy(dir / "a.npy", "|u1", "2, 3, 4", values, version);
    const torch::Tensor t = read_npy_u8(dir / "a.npy");
    EXPECT_EQ(t.sizes(), (std::vector<int64_t>{2, 3, 4}));
    EXPECT_EQ(t[1][2][3].item<int>(), 23 * 7 % 256);
  }
}

TEST(Npy, BrokenFilesAreNamed) {
  testing::TempDir dir;
  testing::write_npy(dir / "f.npy", "<f4", "3", std::vector<uint8_t>(12));
  EXPECT_THROW(read_npy_u8(dir / "f.npy"), FormatError);
  testing::write_npy(dir / "short.npy", "|u1", "100", std::vector<uint8_t>(10));
  try {
    read_npy_u8(dir / "short.npy");
    FAIL();
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("truncated"), std::string::npos);
  }
  std::ofstream(dir / "text.npy") << "hello";
  EXPECT_THROW(read_npy_u8(dir / "text.npy"), FormatError);
  EXPECT_THROW(read_npy_u8(dir / "missing.npy"), IoError);
}

TEST(Npy, CifarCSeverityIsItsBlockOfRows) {
  // 10 images of 2x2x3 = 5 severities x 2 images; image i is filled with value i.
  std::vector<uint8_t> values;
  for (int i = 0; i < 10; ++i) values.insert(values.end(), 12, static_cast<uint8_t>(i));
  const torch::Tensor images = torch::tensor(values, torch::kUInt8).view({10, 2, 2, 3});
  const torch::Tensor labels = torch::arange(10) % 3;
  const DatasetPtr s4 = cifar_c_severity(images, labels, 4, "fog");
  EXPECT_EQ(s4->size(), 2);
  EXPECT_EQ(s4->name(), "fog-4");
  const Example e = s4->get(1);
  EXPECT_EQ(e.image.sizes(), (std::vector<int64_t>{3, 2, 2}));
  EXPECT_NEAR(e.image[0][0][0].item<float>(), 7 / 255.0, 1e-6);
  EXPECT_EQ(e.label, 7 % 3);
  EXPECT_THROW(cifar_c_severity(images, torch::arange(9), 1, "fog"), ShapeError);
}

}  // namespace
}  // namespace robustlab
