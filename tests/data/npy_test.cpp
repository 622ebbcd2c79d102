// .npy reading (every numeric dtype, versions 1 and 2), writing .npy and .npz, CIFAR-C severity
// blocks; broken files are named.
#include <fstream>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "robustlab/core/error.h"
#include "robustlab/core/paths.h"
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

TEST(Npy, ReadsOtherDtypesAndRoundTripsEveryDtype) {
  testing::TempDir dir;
  const std::vector<float> f = {1.5f, -2.0f, 3.25f};
  std::vector<uint8_t> bytes(reinterpret_cast<const uint8_t*>(f.data()), reinterpret_cast<const uint8_t*>(f.data()) + 12);
  testing::write_npy(dir / "f.npy", "<f4", "3,", bytes);
  const torch::Tensor t = read_npy(dir / "f.npy");
  EXPECT_EQ(t.scalar_type(), torch::kFloat32);
  EXPECT_TRUE(t.equal(torch::tensor({1.5f, -2.0f, 3.25f})));
  for (auto type : {torch::kBool, torch::kUInt8, torch::kInt8, torch::kInt16, torch::kInt32, torch::kInt64,
                    torch::kFloat32, torch::kFloat64}) {
    const torch::Tensor a = (torch::arange(24, torch::kFloat64).view({2, 3, 4}) * 1.5).to(type);
    write_npy(dir / "r.npy", a);
    const torch::Tensor back = read_npy(dir / "r.npy");
    EXPECT_EQ(back.scalar_type(), type);
    EXPECT_TRUE(back.equal(a)) << c10::toString(type);
    // numpy's layout: the data starts on a 64-byte boundary.
    EXPECT_EQ((std::filesystem::file_size(dir / "r.npy") - static_cast<uintmax_t>(a.nbytes())) % 64, 0u);
  }
  write_npy(dir / "v.npy", torch::arange(3));
  EXPECT_TRUE(read_npy(dir / "v.npy").equal(torch::arange(3)));
  EXPECT_NE(npy_bytes(torch::arange(3)).find("'shape': (3,)"), std::string::npos);
  EXPECT_NE(npy_bytes(torch::zeros({2, 5})).find("'shape': (2, 5)"), std::string::npos);
  testing::write_npy(dir / "c.npy", "<c8", "1,", std::vector<uint8_t>(8));
  EXPECT_THROW(read_npy(dir / "c.npy"), FormatError);
  testing::write_npy(dir / "big.npy", ">f4", "1,", std::vector<uint8_t>(4));
  EXPECT_THROW(read_npy(dir / "big.npy"), FormatError);
}

TEST(Npy, NpzIsAZipOfNpyMembers) {
  testing::TempDir dir;
  const torch::Tensor a = torch::arange(6, torch::kInt64).view({2, 3}), b = torch::rand({4});
  write_npz(dir / "x.npz", {{"imgs", a}, {"latents", b}});
  const std::string zip = read_file(dir / "x.npz");
  const std::string member = npy_bytes(a);
  // Local header "PK\3\4", stored (method 0), the name, then the member's bytes unchanged.
  EXPECT_EQ(zip.substr(0, 4), std::string("PK\x03\x04", 4));
  EXPECT_EQ(zip.substr(30, 8), "imgs.npy");
  EXPECT_EQ(zip.substr(38, member.size()), member);
  EXPECT_NE(zip.find("latents.npy"), std::string::npos);
  EXPECT_EQ(zip.substr(zip.size() - 22, 4), std::string("PK\x05\x06", 4));  // end of central directory
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
