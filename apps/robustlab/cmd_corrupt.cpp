// robustlab corrupt: a corrupted copy of an image folder (or image) in the ImageNet-C layout.
#include <array>
#include <optional>
#include <tuple>

#include "common.h"

#include "robustlab/core/error.h"
#include "robustlab/core/log.h"
#include "robustlab/core/progress.h"
#include "robustlab/corruptions/folder.h"
#include "robustlab/distributed/distributed.h"

namespace robustlab::cli {

void add_corrupt_command(CLI::App& app, Globals& g) {
  struct Flags {
    corruptions::FolderJob job;
    std::string corruptions = "all";
    std::string severities = "1-5";
    std::string variant = "imagecorruptions";
    std::string frost_dir;
  };
  auto f = std::make_shared<Flags>();
  auto* cmd = app.add_subcommand(
      "corrupt",
      "Write the ImageNet-C corruptions of an image folder or image: <output>/<corruption>/<severity>/<class>/<image>");
  cmd->add_option("--input", f->job.input, "Image folder (searched recursively) or one image")->required();
  cmd->add_option("--output", f->job.output, "Output root; existing outputs are kept (an interrupted run resumes)")
      ->required();
  cmd->add_option("--corruptions", f->corruptions,
                  "all, benchmark (the 15 of mCE), extra (the other 4) or comma-separated names")
      ->capture_default_str();
  cmd->add_option("--severities", f->severities, "Severities: 1-5, 3, 1,3,5")->capture_default_str();
  cmd->add_option("--resize", f->job.transform.resize, "Short side after resizing (0: keep)")->capture_default_str();
  cmd->add_option("--crop", f->job.transform.crop, "Centre crop side (0: none)")->capture_default_str();
  cmd->add_option("--jpeg-quality", f->job.jpeg_quality, "JPEG quality of the outputs (ImageNet-C: 85)")
      ->capture_default_str();
  cmd->add_flag("--png", f->job.png, "Write lossless PNG instead of JPEG");
  cmd->add_option("--variant", f->variant,
                  "imagecorruptions (default) or imagenet-c (the original elastic, snow and frost algorithms)")
      ->capture_default_str();
  cmd->add_option("--frost-dir", f->frost_dir,
                  "Directory with ImageNet-C's frost1.png .. frost5.jpg (or set ROBUSTLAB_FROST_DIR); without "
                  "one, frost uses procedural textures");
  cmd->add_flag("--strict", f->job.strict, "Stop at the first unreadable image instead of skipping it");
  cmd->callback([f, &g] {
    apply_globals(g);
    f->job.corruptions = corruptions::parse_names(f->corruptions);
    f->job.severities = corruptions::parse_severities(f->severities);
    if (f->variant == "imagenet-c")
      f->job.options.variant = corruptions::Variant::ImageNetC;
    else if (f->variant != "imagecorruptions")
      throw InvalidArgument("corrupt: --variant must be imagecorruptions or imagenet-c, got '" + f->variant + "'");
    const corruptions::FrostTextures frost = corruptions::FrostTextures::resolve(
        f->frost_dir.empty() ? std::nullopt : std::optional<std::filesystem::path>(f->frost_dir));
    f->job.options.frost = &frost;
    f->job.seed = g.seed;
    f->job.validate();
    const bool uses_frost =
        std::find(f->job.corruptions.begin(), f->job.corruptions.end(), "frost") != f->job.corruptions.end();
    if (uses_frost && frost.is_procedural())
      log_warning("frost uses procedural textures, not ImageNet-C's; pass --frost-dir for comparable results");
    nlohmann::json config = {{"input", f->job.input.string()},  {"output", f->job.output.string()},
                             {"corruptions", f->job.corruptions}, {"severities", f->job.severities},
                             {"resize", f->job.transform.resize}, {"crop", f->job.transform.crop},
                             {"format", f->job.png ? "png" : "jpeg"}, {"jpeg_quality", f->job.jpeg_quality},
                             {"variant", f->variant},           {"frost_textures", frost.description()}};
    // Launched on several ranks: each writes the outputs of its contiguous shard of the sorted
    // images (disjoint files, the bytes a single process writes); rank 0 records the run with the
    // summed counts.
    std::optional<distributed::ProcessGroup> group;
    std::array<int64_t, 5> shard_sums{};
    if (const auto dist = distributed_options(g); dist && dist->world_size > 1) {
      group.emplace(*dist);
      group->check_same("corrupt configuration (flags or seed)", config.dump() + " seed " + std::to_string(g.seed));
      const auto n = static_cast<int64_t>(corruptions::list_images(f->job.input).size());
      std::tie(f->job.first, f->job.last) = distributed::contiguous_shard(n, group->rank(), group->world_size());
      corruptions::FolderReport mine;
      if (f->job.last > f->job.first) mine = corruptions::corrupt_folder(f->job);
      const torch::Tensor sums = group->all_reduce_sum(torch::tensor(
          {mine.images, mine.written, mine.existing, static_cast<int64_t>(mine.unreadable.size()),
           static_cast<int64_t>(mine.too_small.size())}));
      if (!group->is_main()) {
        group->barrier();
        return;
      }
      shard_sums = {sums[0].item<int64_t>(), sums[1].item<int64_t>(), sums[2].item<int64_t>(), sums[3].item<int64_t>(),
                    sums[4].item<int64_t>()};
    }
    record_run(g, "corrupt", config, [&](Store& store, int64_t run) {
      const auto files = corruptions::list_images(f->job.input);
      const int64_t total = static_cast<int64_t>(files.size() * f->job.corruptions.size() * f->job.severities.size());
      log_info("corrupting ", files.size(), " images x ", f->job.corruptions.size(), " corruptions x ",
               f->job.severities.size(), " severities into ", f->job.output.string());
      corruptions::FolderReport report;
      if (group) {  // the shards are written; the counts are the ranks' sums
        report.images = shard_sums[0];
        report.written = shard_sums[1];
        report.existing = shard_sums[2];
        report.unreadable.resize(static_cast<size_t>(shard_sums[3]), "(logged by its rank)");
        report.too_small.resize(static_cast<size_t>(shard_sums[4]), "(logged by its rank)");
      } else {
        Progress progress("corrupt", total);
        report = corruptions::corrupt_folder(f->job, [&](int64_t n) { progress.advance(n); });
        progress.finish();
      }
      const std::string dataset = f->job.input.string();
      const nlohmann::json condition = {{"frost_textures", frost.description()}};
      store.add_results(run, {{"", dataset, condition, "images", static_cast<double>(report.images), report.images},
                              {"", dataset, condition, "written", static_cast<double>(report.written), report.written},
                              {"", dataset, condition, "resumed_existing", static_cast<double>(report.existing),
                               report.existing},
                              {"", dataset, condition, "unreadable", static_cast<double>(report.unreadable.size()),
                               static_cast<int64_t>(report.unreadable.size())}});
      if (g.json) {
        print_json({{"run", run},
                    {"images", report.images},
                    {"written", report.written},
                    {"existing", report.existing},
                    {"unreadable", report.unreadable},
                    {"too_small", report.too_small},
                    {"frost_textures", frost.description()},
                    {"output", f->job.output.string()}});
      } else {
        print_table({"images", "written", "already there", "unreadable", "too small", "output"},
                    {{std::to_string(report.images), std::to_string(report.written), std::to_string(report.existing),
                      std::to_string(report.unreadable.size()), std::to_string(report.too_small.size()),
                      f->job.output.string()}});
      }
    });
    if (group) group->barrier();
  });
}

}  // namespace robustlab::cli
