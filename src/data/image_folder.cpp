// ImageNet-layout image folders decoded with OpenCV. The evaluation transform follows torchvision's
// Resize(256) + CenterCrop(224): the short side is scaled to `resize` (rounded down for the long
// side, as torchvision does), then the centre `crop` x `crop` window is cut out.
#include "robustlab/data/image_folder.h"

#include <torch/torch.h>

#include <algorithm>
#include <array>
#include <fstream>
#include <map>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "robustlab/core/error.h"
#include "robustlab/core/paths.h"

namespace fs = std::filesystem;

namespace robustlab {

void ImageTransform::validate() const {
  if (resize < 0) throw InvalidArgument("ImageTransform: resize must be >= 0, got " + std::to_string(resize));
  if (crop < 0) throw InvalidArgument("ImageTransform: crop must be >= 0, got " + std::to_string(crop));
  if (resize > 0 && crop > resize) {
    throw InvalidArgument("ImageTransform: crop " + std::to_string(crop) +
                          " is larger than the resized short side " + std::to_string(resize));
  }
}

bool is_image_file(const fs::path& path) {
  std::string ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return ext == ".jpg" || ext == ".jpeg" || ext == ".png" || ext == ".bmp" || ext == ".webp" ||
         ext == ".tif" || ext == ".tiff" || ext == ".ppm" || ext == ".pgm";
}

namespace {

/// Whether `path` starts like a JPEG, PNG, BMP, WebP, TIFF or PNM file and is not a DICOM file
/// ("DICM" at byte 128). OpenCV picks its decoder by content and would otherwise hand such files to
/// decoders robustlab does not list (fuzzing found an assertion that aborts inside the DICOM one).
bool has_image_signature(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::array<unsigned char, 132> b{};
  in.read(reinterpret_cast<char*>(b.data()), b.size());
  const auto n = in.gcount();
  if (n >= 132 && b[128] == 'D' && b[129] == 'I' && b[130] == 'C' && b[131] == 'M') return false;
  auto starts = [&](std::initializer_list<int> sig) {
    if (static_cast<std::streamsize>(sig.size()) > n) return false;
    size_t i = 0;
    for (int c : sig)
      if (c >= 0 && b[i++] != c) return false;
      else if (c < 0) ++i;
    return true;
  };
  return starts({0xFF, 0xD8, 0xFF}) || starts({0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A}) || starts({'B', 'M'}) ||
         starts({'R', 'I', 'F', 'F', -1, -1, -1, -1, 'W', 'E', 'B', 'P'}) || starts({'I', 'I', 0x2A, 0}) ||
         starts({'M', 'M', 0, 0x2A}) || (n >= 2 && b[0] == 'P' && b[1] >= '1' && b[1] <= '6');
}

}  // namespace

cv::Mat read_image(const fs::path& path, bool grayscale) {
  require_file(path, "read_image");
  if (!has_image_signature(path))
    throw FormatError("read_image: file '" + path.string() + "' is not a JPEG, PNG, BMP, WebP, TIFF or PNM image");
  cv::Mat image;
  try {
    image = cv::imread(path.string(), grayscale ? cv::IMREAD_GRAYSCALE : cv::IMREAD_COLOR);
  } catch (const cv::Exception& e) {  // OpenCV's own checks, e.g. a header declaring an image too large
    throw FormatError("read_image: file '" + path.string() + "' is not a readable image (" + first_line(e.what()) + ")");
  }
  if (image.empty()) {
    throw FormatError("read_image: file '" + path.string() + "' is not a readable image (corrupt or truncated)");
  }
  if (!grayscale) cv::cvtColor(image, image, cv::COLOR_BGR2RGB);
  return image;
}

void write_png(const fs::path& path, const cv::Mat& image) {
  cv::Mat bgr = image;
  if (image.channels() == 3) cv::cvtColor(image, bgr, cv::COLOR_RGB2BGR);
  std::vector<uchar> png;
  if (!cv::imencode(".png", bgr, png)) throw IoError("write_png: could not encode " + path.string());
  write_text_file(path, std::string(png.begin(), png.end()));
}

cv::Mat resize_and_crop(const cv::Mat& image, const ImageTransform& transform) {
  cv::Mat out = image;
  if (transform.resize > 0) {
    const int h = image.rows, w = image.cols;
    const int short_side = std::min(h, w);
    if (short_side != transform.resize) {
      int new_h, new_w;
      if (h <= w) {
        new_h = transform.resize;
        new_w = static_cast<int>(static_cast<int64_t>(transform.resize) * w / h);
      } else {
        new_w = transform.resize;
        new_h = static_cast<int>(static_cast<int64_t>(transform.resize) * h / w);
      }
      const int interpolation = transform.resize < short_side ? cv::INTER_AREA : cv::INTER_LINEAR;
      cv::resize(image, out, cv::Size(new_w, new_h), 0, 0, interpolation);
    }
  }
  if (transform.crop > 0) {
    if (out.rows < transform.crop || out.cols < transform.crop) {
      throw ShapeError("resize_and_crop: image of " + std::to_string(out.cols) + "x" +
                       std::to_string(out.rows) + " is smaller than the crop " +
                       std::to_string(transform.crop));
    }
    // torchvision rounds the crop offset to the nearest integer.
    const int top = static_cast<int>(std::lround((out.rows - transform.crop) / 2.0));
    const int left = static_cast<int>(std::lround((out.cols - transform.crop) / 2.0));
    out = out(cv::Rect(left, top, transform.crop, transform.crop));
  }
  return out;
}

torch::Tensor image_to_tensor(const cv::Mat& image) {
  cv::Mat continuous = image.isContinuous() ? image : image.clone();
  const int channels = continuous.channels();
  auto hwc = torch::from_blob(continuous.data, {continuous.rows, continuous.cols, channels}, torch::kUInt8);
  return hwc.permute({2, 0, 1}).to(torch::kFloat32).div_(255.0).contiguous();
}

cv::Mat tensor_to_image(const torch::Tensor& image) {
  if (image.dim() != 3 || (image.size(0) != 1 && image.size(0) != 3)) {
    throw ShapeError("tensor_to_image: expected [1 or 3, H, W], got " + c10::str(image.sizes()));
  }
  const torch::Tensor hwc =
      image.detach().to(torch::kFloat32).clamp(0, 1).mul(255).round().to(torch::kUInt8).permute({1, 2, 0}).contiguous();
  cv::Mat view(static_cast<int>(hwc.size(0)), static_cast<int>(hwc.size(1)), CV_8UC(static_cast<int>(hwc.size(2))),
               hwc.data_ptr<uint8_t>());
  return view.clone();
}

ImageFolder::ImageFolder(fs::path root, ImageTransform transform, std::optional<fs::path> class_list)
    : root_(std::move(root)), transform_(transform) {
  transform_.validate();
  if (!fs::is_directory(root_)) {
    throw IoError("ImageFolder: directory '" + root_.string() + "' does not exist");
  }
  std::vector<std::string> folders;
  for (const auto& entry : fs::directory_iterator(root_)) {
    if (entry.is_directory()) folders.push_back(entry.path().filename().string());
  }
  std::sort(folders.begin(), folders.end());
  std::map<std::string, int64_t> index;
  if (class_list) {
    std::ifstream in(*class_list);
    if (!in) throw IoError("ImageFolder: class list '" + class_list->string() + "' cannot be read");
    std::string line;
    while (std::getline(in, line)) {
      while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
      if (line.empty()) continue;
      index.emplace(line, static_cast<int64_t>(classes_.size()));
      classes_.push_back(line);
    }
    for (const auto& f : folders) {
      if (!index.count(f)) {
        throw InvalidArgument("ImageFolder: folder '" + f + "' in '" + root_.string() +
                              "' is not in the class list '" + class_list->string() + "'");
      }
    }
  } else {
    for (const auto& f : folders) {
      index.emplace(f, static_cast<int64_t>(classes_.size()));
      classes_.push_back(f);
    }
  }
  for (const auto& folder : folders) {
    std::vector<fs::path> images;
    for (const auto& entry : fs::directory_iterator(root_ / folder)) {
      if (entry.is_regular_file() && is_image_file(entry.path())) images.push_back(entry.path());
    }
    std::sort(images.begin(), images.end());
    for (auto& image : images) {
      files_.push_back(std::move(image));
      labels_.push_back(index.at(folder));
    }
  }
  if (files_.empty()) {
    throw InvalidArgument("ImageFolder: no images found in '" + root_.string() +
                          "' (expected root/<class>/<image>)");
  }
}

Example ImageFolder::get(int64_t i) const {
  check_index(i);
  const cv::Mat image = read_image(files_[static_cast<size_t>(i)], transform_.grayscale);
  return {image_to_tensor(resize_and_crop(image, transform_)), labels_[static_cast<size_t>(i)]};
}

}  // namespace robustlab
