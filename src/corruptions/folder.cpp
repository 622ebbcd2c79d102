// The folder job of folder.h: the ImageNet-C dataset generation loop of hendrycks/robustness
// (make_imagenet_c.py: Resize(256), CenterCrop(224), corrupt, np.uint8, JPEG quality 85), with
// per-image random streams, parallel images, atomic writes and resumption.
#include "robustlab/corruptions/folder.h"

#include <algorithm>
#include <mutex>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "robustlab/core/error.h"
#include "robustlab/core/log.h"
#include "robustlab/core/parallel.h"
#include "robustlab/core/paths.h"

namespace fs = std::filesystem;

namespace robustlab::corruptions {
namespace {

fs::path output_path(const FolderJob& job, const std::string& corruption, int severity, const fs::path& relative) {
  fs::path out = job.output / corruption / std::to_string(severity) / relative;
  std::string ext = out.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  if (job.png)
    out.replace_extension(".png");
  else if (ext != ".jpg" && ext != ".jpeg")  // ImageNet-C keeps the name of a JPEG input
    out.replace_extension(".jpg");
  return out;
}

void write_image(const fs::path& target, const cv::Mat& rgb, const FolderJob& job) {
  cv::Mat bgr;
  cv::cvtColor(rgb, bgr, cv::COLOR_RGB2BGR);
  std::vector<uint8_t> bytes;
  const std::vector<int> params = job.png ? std::vector<int>{} : std::vector<int>{cv::IMWRITE_JPEG_QUALITY, job.jpeg_quality};
  if (!cv::imencode(job.png ? ".png" : ".jpg", bgr, bytes, params))
    throw FormatError("cannot encode " + target.string());
  fs::create_directories(target.parent_path());
  write_atomically(target, [&](const fs::path& tmp) {
    std::FILE* file = std::fopen(tmp.c_str(), "wb");
    if (!file) throw IoError("cannot write " + tmp.string());
    const size_t n = std::fwrite(bytes.data(), 1, bytes.size(), file);
    const bool ok = std::fclose(file) == 0 && n == bytes.size();
    if (!ok) throw IoError("cannot write " + tmp.string() + " (disk full?)");
  });
}

}  // namespace

uint64_t image_stream_id(const std::string& relative) {  // FNV-1a
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : relative) h = (h ^ c) * 0x100000001b3ULL;
  return h;
}

void FolderJob::validate() const {
  if (corruptions.empty()) throw InvalidArgument("corrupt: no corruption chosen");
  for (const auto& name : corruptions) find(name);
  if (severities.empty()) throw InvalidArgument("corrupt: no severity chosen");
  for (int s : severities)
    if (s < 1 || s > 5) throw InvalidArgument("corrupt: severity " + std::to_string(s) + " is outside 1..5");
  if (jpeg_quality < 1 || jpeg_quality > 100)
    throw InvalidArgument("corrupt: --jpeg-quality must be in 1..100, got " + std::to_string(jpeg_quality));
  transform.validate();
  if (first < 0 || (last >= 0 && last < first))
    throw InvalidArgument("corrupt: the image range [" + std::to_string(first) + ", " + std::to_string(last) + ") is empty or negative");
}

std::vector<fs::path> list_images(const fs::path& input) {
  if (!fs::exists(input)) throw IoError("corrupt: input '" + input.string() + "' does not exist");
  if (fs::is_regular_file(input)) return {input};
  std::vector<fs::path> files;
  for (const auto& entry : fs::recursive_directory_iterator(input))
    if (entry.is_regular_file() && is_image_file(entry.path())) files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  if (files.empty()) throw InvalidArgument("corrupt: no images under '" + input.string() + "'");
  return files;
}

FolderReport corrupt_folder(const FolderJob& job, const std::function<void(int64_t)>& progress) {
  job.validate();
  std::vector<fs::path> files = list_images(job.input);
  const auto count = static_cast<int64_t>(files.size());
  files = std::vector<fs::path>(files.begin() + std::min(job.first, count),
                                files.begin() + (job.last < 0 ? count : std::min(job.last, count)));
  std::error_code ec;
  fs::create_directories(job.output, ec);
  if (ec || !fs::is_directory(job.output))
    throw IoError("corrupt: cannot create the output directory '" + job.output.string() + "'");
  write_atomically(job.output / ".robustlab-write-test", [](const fs::path& tmp) {
    std::FILE* f = std::fopen(tmp.c_str(), "wb");
    if (!f) throw IoError("corrupt: the output directory '" + tmp.parent_path().string() + "' is not writable");
    std::fclose(f);
  });
  fs::remove(job.output / ".robustlab-write-test", ec);
  remove_stale_temporaries(job.output);

  const bool single = fs::is_regular_file(job.input);
  FolderReport report;
  report.images = static_cast<int64_t>(files.size());
  std::mutex mutex;
  const int64_t per_image = static_cast<int64_t>(job.corruptions.size() * job.severities.size());
  parallel_for(report.images, [&](int64_t i) {
    const fs::path& file = files[static_cast<size_t>(i)];
    const fs::path relative = single ? file.filename() : fs::relative(file, job.input);
    // Which outputs are still missing (resumption)?
    std::vector<std::pair<const std::string*, int>> missing;
    for (const auto& name : job.corruptions)
      for (int s : job.severities)
        if (!fs::exists(output_path(job, name, s, relative))) missing.emplace_back(&name, s);
    int64_t written = 0;
    if (!missing.empty()) {
      cv::Mat image;
      try {
        image = resize_and_crop(read_image(file), job.transform);
      } catch (const Error& e) {
        if (job.strict) throw;
        log_warning("skipping unreadable image: ", e.what());
        std::lock_guard lock(mutex);
        report.unreadable.push_back(file.string());
      }
      if (!image.empty() && (image.rows < 32 || image.cols < 32)) {
        const std::string message = file.string() + " is " + std::to_string(image.cols) + "x" +
                                    std::to_string(image.rows) + " px after resizing; corruptions need 32 px";
        if (job.strict) throw InvalidArgument("corrupt: " + message);
        log_warning("skipping ", message);
        std::lock_guard lock(mutex);
        report.too_small.push_back(file.string());
        image.release();
      }
      if (!image.empty()) {
        const uint64_t id = image_stream_id(relative.generic_string());
        for (const auto& [name, severity] : missing) {
          Rng rng = corruption_rng(job.seed, id, *name, severity);
          write_image(output_path(job, *name, severity, relative), corrupt(image, *name, severity, rng, job.options), job);
          ++written;
        }
      }
    }
    {
      std::lock_guard lock(mutex);
      report.written += written;
      report.existing += per_image - static_cast<int64_t>(missing.size());
    }
    if (progress) progress(per_image);
  });
  return report;
}

}  // namespace robustlab::corruptions
