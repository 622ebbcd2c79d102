#include "robustlab/data/image_folder.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <fstream>
#include <opencv2/imgcodecs.hpp>

#include "robustlab/core/error.h"
#include "test_support.h"

namespace robustlab {
namespace {

namespace fs = std::filesystem;

/// A BGR image whose pixel (y, x) is (x, y, 100).
cv::Mat gradient(int h, int w) {
  cv::Mat m(h, w, CV_8UC3);
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) m.at<cv::Vec3b>(y, x) = cv::Vec3b(static_cast<uchar>(x), static_cast<uchar>(y), 100);
  }
  return m;
}

TEST(ImageTransform, ResizeShortSideThenCentreCrop) {
  const cv::Mat img = gradient(100, 200);
  const cv::Mat out = resize_and_crop(img, {.resize = 50, .crop = 40});
  EXPECT_EQ(out.rows, 40);
  EXPECT_EQ(out.cols, 40);
  const cv::Mat tall = resize_and_crop(gradient(300, 100), {.resize = 64, .crop = 0});
  EXPECT_EQ(tall.cols, 64);
  EXPECT_EQ(tall.rows, 192);
  // Without resizing the crop is the exact centre window.
  const cv::Mat centre = resize_and_crop(gradient(10, 20), {.resize = 0, .crop = 4});
  EXPECT_EQ(centre.at<cv::Vec3b>(0, 0), cv::Vec3b(8, 3, 100));
  EXPECT_THROW(resize_and_crop(gradient(10, 10), {.resize = 0, .crop = 20}), ShapeError);
  EXPECT_THROW(ImageTransform({.resize = 10, .crop = 20}).validate(), InvalidArgument);
}

TEST(ImageTransform, TensorIsRgbChwInUnitRange) {
  testing::TempDir dir;
  cv::imwrite((dir / "g.png").string(), gradient(4, 6));
  const torch::Tensor t = image_to_tensor(read_image(dir / "g.png"));
  ASSERT_EQ(t.sizes(), (std::vector<int64_t>{3, 4, 6}));
  // BGR (x, y, 100) on disk reads as RGB (100, y, x).
  EXPECT_FLOAT_EQ(t[0][2][5].item<float>(), 100.0f / 255.0f);
  EXPECT_FLOAT_EQ(t[1][2][5].item<float>(), 2.0f / 255.0f);
  EXPECT_FLOAT_EQ(t[2][2][5].item<float>(), 5.0f / 255.0f);
}

TEST(ImageFolder, ClassesFromSortedFoldersOrAList) {
  testing::TempDir dir;
  for (const auto& cls : {"n02", "n01"}) {
    fs::create_directories(dir / cls);
    for (int i = 0; i < 3; ++i) {
      cv::imwrite((dir / cls / ("img" + std::to_string(i) + (i == 0 ? ".jpg" : ".png"))).string(), gradient(40, 60));
    }
  }
  std::ofstream(dir / "n02" / "notes.txt") << "not an image";
  ImageFolder folder(dir.path(), {.resize = 32, .crop = 24});
  EXPECT_EQ(folder.size(), 6);
  EXPECT_EQ(folder.class_names(), (std::vector<std::string>{"n01", "n02"}));
  EXPECT_EQ(folder.get(0).label, 0);
  EXPECT_EQ(folder.get(5).label, 1);
  EXPECT_EQ(folder.get(0).image.sizes(), (std::vector<int64_t>{3, 24, 24}));
  const Batch batch = folder.get_batch({0, 3, 5});
  EXPECT_EQ(batch.x.sizes(), (std::vector<int64_t>{3, 3, 24, 24}));

  testing::TempDir lists;
  std::ofstream(lists / "wnids.txt") << "n00\nn02\nn01\n";
  ImageFolder listed(dir.path(), {.resize = 32, .crop = 24}, lists / "wnids.txt");
  EXPECT_EQ(listed.num_classes(), 3);
  EXPECT_EQ(listed.get(0).label, 2);  // n01 is on line 3
  std::ofstream(lists / "short.txt") << "n01\n";
  EXPECT_THROW(ImageFolder(dir.path(), {}, lists / "short.txt"), InvalidArgument);
}

TEST(ImageFolder, BrokenInputsGiveClearErrors) {
  testing::TempDir dir;
  EXPECT_THROW(ImageFolder(dir / "missing", {}), IoError);
  fs::create_directories(dir / "empty" / "cls");
  EXPECT_THROW(ImageFolder(dir / "empty", {}), InvalidArgument);
  fs::create_directories(dir / "bad" / "cls");
  cv::imwrite((dir / "bad" / "cls" / "a.png").string(), gradient(40, 40));
  {
    // A truncated JPEG header: OpenCV cannot decode it.
    std::ofstream(dir / "bad" / "cls" / "b.jpg", std::ios::binary) << "\xFF\xD8\xFF\xE0garbage";
  }
  ImageFolder folder(dir / "bad", {.resize = 32, .crop = 32});
  EXPECT_NO_THROW(folder.get(0));
  try {
    folder.get(1);
    FAIL();
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("b.jpg"), std::string::npos);
  }
}

TEST(ReadImage, OnlyTheListedFormatsReachADecoder) {
  testing::TempDir dir;
  const auto png = dir / "a.png";
  cv::imwrite(png.string(), gradient(8, 8));
  EXPECT_EQ(read_image(png).cols, 8);
  // Text named .png, and a DICOM file (its "DICM" at byte 128) behind a PNG-like start: OpenCV
  // would pick its DICOM decoder for the second, which aborts on malformed input.
  std::ofstream(dir / "text.png") << "not an image at all";
  std::string dicom(200, '\0');
  dicom.replace(0, 8, "\x89PNG\r\n\x1a\n");
  dicom.replace(128, 4, "DICM");
  std::ofstream(dir / "dicom.png", std::ios::binary) << dicom;
  for (const char* name : {"text.png", "dicom.png"}) {
    try {
      read_image(dir / name);
      ADD_FAILURE() << name << " was decoded";
    } catch (const FormatError& e) {
      EXPECT_NE(std::string(e.what()).find("is not a JPEG, PNG, BMP, WebP, TIFF or PNM image"), std::string::npos) << e.what();
    }
  }
}

TEST(ImageFolder, MixedSizesWithoutCropAreRejectedInABatch) {
  testing::TempDir dir;
  fs::create_directories(dir / "c");
  cv::imwrite((dir / "c" / "a.png").string(), gradient(20, 30));
  cv::imwrite((dir / "c" / "b.png").string(), gradient(30, 30));
  ImageFolder folder(dir.path(), {.resize = 0, .crop = 0});
  EXPECT_THROW(folder.get_batch({0, 1}), ShapeError);
}

}  // namespace
}  // namespace robustlab
