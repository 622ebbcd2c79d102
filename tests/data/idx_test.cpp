#include "robustlab/data/idx.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <fstream>

#include "robustlab/core/error.h"
#include "test_support.h"

namespace robustlab {
namespace {

namespace fs = std::filesystem;

std::string idx_bytes(std::vector<uint32_t> dims, const std::vector<uint8_t>& data) {
  std::string out = {0, 0, 0x08, static_cast<char>(dims.size())};
  for (uint32_t d : dims) {
    out += static_cast<char>(d >> 24);
    out += static_cast<char>(d >> 16);
    out += static_cast<char>(d >> 8);
    out += static_cast<char>(d);
  }
  out.append(data.begin(), data.end());
  return out;
}

void write(const fs::path& p, const std::string& bytes) { std::ofstream(p, std::ios::binary) << bytes; }

void write_gz(const fs::path& p, const std::string& bytes) {
  gzFile f = gzopen(p.c_str(), "wb");
  gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size()));
  gzclose(f);
}

TEST(Idx, ReadsRawAndGzip) {
  testing::TempDir dir;
  const std::vector<uint8_t> data = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
  write(dir / "a.idx", idx_bytes({3, 2, 2}, data));
  write_gz(dir / "a.idx.gz", idx_bytes({3, 2, 2}, data));
  for (const auto& name : {"a.idx", "a.idx.gz"}) {
    const IdxArray a = load_idx(dir / name);
    EXPECT_EQ(a.dims, (std::vector<int64_t>{3, 2, 2}));
    EXPECT_EQ(a.data, data);
  }
}

TEST(Idx, TruncatedFileIsNamedWithCounts) {
  testing::TempDir dir;
  std::string bytes = idx_bytes({10, 2, 2}, std::vector<uint8_t>(40, 7));
  write(dir / "t.idx", bytes.substr(0, bytes.size() - 9));
  try {
    load_idx(dir / "t.idx");
    FAIL() << "expected FormatError";
  } catch (const FormatError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("truncated"), std::string::npos) << msg;
    EXPECT_NE(msg.find("header says 10 items, found 7"), std::string::npos) << msg;
  }
}

TEST(Idx, RejectsBadMagicWrongTypeExtraDataAndEmptyFile) {
  testing::TempDir dir;
  write(dir / "magic.idx", std::string("\x01\x02\x08\x01\x00\x00\x00\x01\x05", 9));
  EXPECT_THROW(load_idx(dir / "magic.idx"), FormatError);
  std::string wrong_type = idx_bytes({1}, {5});
  wrong_type[2] = 0x0D;  // float
  write(dir / "type.idx", wrong_type);
  EXPECT_THROW(load_idx(dir / "type.idx"), FormatError);
  write(dir / "extra.idx", idx_bytes({1}, {5, 6}));
  EXPECT_THROW(load_idx(dir / "extra.idx"), FormatError);
  write(dir / "empty.idx", "");
  EXPECT_THROW(load_idx(dir / "empty.idx"), FormatError);
  EXPECT_THROW(load_idx(dir / "missing.idx"), IoError);
}

TEST(Idx, CorruptGzipIsAFormatError) {
  testing::TempDir dir;
  const std::string raw = idx_bytes({100}, std::vector<uint8_t>(100, 3));
  write_gz(dir / "c.gz", raw);
  std::string gz;
  {
    std::ifstream in(dir / "c.gz", std::ios::binary);
    gz.assign(std::istreambuf_iterator<char>(in), {});
  }
  gz.resize(gz.size() / 2);  // cut the deflate stream
  write(dir / "c.gz", gz);
  EXPECT_THROW(load_idx(dir / "c.gz"), FormatError);
}

TEST(Idx, LabelCountMustMatchImages) {
  testing::TempDir dir;
  write(dir / "img", idx_bytes({2, 1, 1}, {0, 255}));
  write(dir / "lab", idx_bytes({3}, {0, 1, 1}));
  EXPECT_THROW(load_idx_dataset(dir / "img", dir / "lab", {"a", "b"}, "x"), FormatError);
}

TEST(FashionMnist, LoadsTheDebianDataset) {
  const auto test = load_fashion_mnist("test");
  ASSERT_EQ(test->size(), 10000);
  EXPECT_EQ(test->num_classes(), 10);
  const Example e = test->get(0);
  EXPECT_EQ(e.image.sizes(), (std::vector<int64_t>{1, 28, 28}));
  EXPECT_EQ(e.label, 9);  // the first test image is an ankle boot
  EXPECT_GE(e.image.min().item<float>(), 0.0f);
  EXPECT_LE(e.image.max().item<float>(), 1.0f);
  // Every class appears 1000 times in the test split.
  const Batch all = test->get_batch([] {
    std::vector<int64_t> idx(10000);
    for (int64_t i = 0; i < 10000; ++i) idx[static_cast<size_t>(i)] = i;
    return idx;
  }());
  EXPECT_TRUE(torch::bincount(all.y).eq(1000).all().item<bool>());
}

TEST(FashionMnist, UnknownSplitAndMissingDir) {
  EXPECT_THROW(load_fashion_mnist("validation"), InvalidArgument);
  EXPECT_THROW(load_fashion_mnist("test", "/nonexistent"), IoError);
}

}  // namespace
}  // namespace robustlab
