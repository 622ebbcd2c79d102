// Image-folder decode and preprocess throughput at 224 px: JPEG decode, resize of the short side
// to 256, centre crop 224, to float CHW, with the loader's parallel decoding. The images are
// 500x375 JPEGs (ImageNet's typical size) written to a scratch folder first.
#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include <filesystem>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <random>

#include "robustlab/core/parallel.h"
#include "robustlab/data/image_folder.h"

namespace fs = std::filesystem;

namespace {

fs::path make_folder(int images) {
  const fs::path root = fs::temp_directory_path() / "robustlab-bench-images";
  if (fs::exists(root / "cls" / ("img" + std::to_string(images - 1) + ".jpg"))) return root;
  fs::create_directories(root / "cls");
  std::mt19937 rng(0);
  for (int i = 0; i < images; ++i) {
    cv::Mat img(375, 500, CV_8UC3);
    cv::randu(img, 0, 255);
    cv::GaussianBlur(img, img, cv::Size(9, 9), 3.0);  // photo-like, compressible content
    cv::imwrite((root / "cls" / ("img" + std::to_string(i) + ".jpg")).string(), img, {cv::IMWRITE_JPEG_QUALITY, 90});
  }
  return root;
}

void BM_DecodePreprocess224(benchmark::State& state) {
  robustlab::set_threads(static_cast<int>(state.range(0)));
  const int images = 64;
  robustlab::ImageFolder folder(make_folder(images), {.resize = 256, .crop = 224});
  std::vector<int64_t> idx(images);
  for (int i = 0; i < images; ++i) idx[static_cast<size_t>(i)] = i;
  for (auto _ : state) {
    benchmark::DoNotOptimize(folder.get_batch(idx).x.data_ptr());
  }
  state.SetItemsProcessed(state.iterations() * images);
}
BENCHMARK(BM_DecodePreprocess224)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
