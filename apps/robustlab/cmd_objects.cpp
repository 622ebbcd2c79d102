// robustlab objects: the object-centric video benchmark of Weis et al. 2021 — generate VMDS-style
// and SpMOT-style splits with the benchmark's ground-truth JSON, train the video slot-attention
// baseline, predict with it or the trivial connected-components baseline, and score any
// predictions with the benchmark's MOT protocol.
#include <iostream>

#include "common.h"
#include "objects_runs.h"
#include "robustlab/core/error.h"
#include "robustlab/core/log.h"
#include "robustlab/core/paths.h"
#include "robustlab/core/progress.h"
#include "robustlab/objects/mot.h"
#include "robustlab/objects/slot_video.h"
#include "robustlab/objects/vmds.h"

namespace robustlab::cli {
namespace {

namespace obj = robustlab::objects;

/// "2-9" -> [2, 10); "5" -> [5, 6).
std::pair<int64_t, int64_t> parse_frames(const std::string& text) {
  const auto dash = text.find('-');
  try {
    size_t used = 0;
    const int64_t first = std::stoll(text.substr(0, dash), &used);
    const int64_t last = dash == std::string::npos ? first : std::stoll(text.substr(dash + 1));
    if (first < 0 || last < first) throw std::invalid_argument("order");
    return {first, last + 1};
  } catch (const std::exception&) {
    throw InvalidArgument("objects: --frames must be FIRST-LAST with 0 <= FIRST <= LAST, got '" + text + "'");
  }
}

std::vector<obj::Video> read_videos(const std::string& path) {
  const std::string text = read_file(path);
  const nlohmann::json json = nlohmann::json::parse(text, nullptr, false);
  if (json.is_discarded()) throw FormatError("objects: '" + path + "' is not JSON");
  try {
    return obj::videos_from_json(json);
  } catch (const FormatError& e) {
    throw FormatError("objects: '" + path + "': " + e.what());
  }
}

}  // namespace

void add_objects_command(CLI::App& app, Globals& g) {
  auto* objects = app.add_subcommand("objects", "The object-centric video benchmark (Weis et al. 2021): data, baseline, MOT evaluation");
  objects->require_subcommand(1);

  struct GenerateFlags {
    std::string output = "vmds", set = "vmds";
    int64_t train = 1000, val = 100, test = 100, shard = 500;
    bool challenges = false;
  };
  auto gf = std::make_shared<GenerateFlags>();
  auto* gen = objects->add_subcommand("generate", "Write VMDS-style (or SpMOT-style) video splits with ground truth");
  gen->add_option("-o,--output", gf->output, "Output folder")->capture_default_str();
  gen->add_option("--set", gf->set,
                  "vmds, spmot, or a challenge set: occlusion, same-colour, small, large, colour-change, size-change, rotation")
      ->capture_default_str();
  gen->add_option("--train", gf->train, "Training videos (the benchmark: 10000)")->check(CLI::NonNegativeNumber)->capture_default_str();
  gen->add_option("--val", gf->val, "Validation videos")->check(CLI::NonNegativeNumber)->capture_default_str();
  gen->add_option("--test", gf->test, "Test videos (the benchmark: 1000)")->check(CLI::NonNegativeNumber)->capture_default_str();
  gen->add_option("--shard", gf->shard, "Videos per frames file")->check(CLI::PositiveNumber)->capture_default_str();
  gen->add_flag("--challenges", gf->challenges, "Also write the seven VMDS challenge test sets (--test videos each)");
  gen->callback([gf, &g] {
    apply_globals(g);
    const obj::VideoSet set = obj::parse_video_set(gf->set);
    std::vector<obj::SplitOptions> splits;
    for (const auto& [name, count] : std::vector<std::pair<std::string, int64_t>>{{"train", gf->train}, {"val", gf->val}, {"test", gf->test}})
      if (count > 0) splits.push_back({set, count, gf->shard, g.seed, name});
    if (gf->challenges)
      for (obj::VideoSet c : obj::challenge_sets()) splits.push_back({c, gf->test, gf->shard, g.seed, "test_" + obj::to_string(c)});
    if (splits.empty()) throw InvalidArgument("objects generate: nothing to write (all split sizes are 0)");
    const nlohmann::json config = {{"output", gf->output}, {"set", gf->set}, {"train", gf->train}, {"val", gf->val},
                                   {"test", gf->test}, {"shard", gf->shard}, {"challenges", gf->challenges}};
    record_run(g, "objects generate", config, [&](Store&, int64_t) {
      for (const auto& split : splits) {
        Progress progress(split.split, split.videos);
        const int64_t written = obj::write_split(gf->output, split, [&](int64_t) { progress.advance(); });
        progress.finish();
        log_info(split.split, ": ", split.videos, " videos (", written, " frame files written now)");
      }
    });
    std::cout << "wrote " << splits.size() << " splits to " << gf->output << "\n";
  });

  struct TrainFlags {
    obj::SlotTrainOptions options;
    std::string data = "vmds", checkpoint, decoder = "attention";
  };
  auto tf = std::make_shared<TrainFlags>();
  auto* train = objects->add_subcommand(
      "train", "Train the video slot-attention baseline (Slot Attention with SAVi's slot prediction) on a split");
  train->add_option("--data", tf->data, "Folder written by objects generate")->capture_default_str();
  train->add_option("--split", tf->options.split, "Training split")->capture_default_str();
  train->add_option("--checkpoint", tf->checkpoint,
                    "Checkpoint written as it trains and resumed from (default: <data>/slot-video.ckpt)");
  train->add_option("--steps", tf->options.steps, "Training steps")->check(CLI::PositiveNumber)->capture_default_str();
  train->add_option("--batch", tf->options.batch, "Clips per step")->check(CLI::PositiveNumber)->capture_default_str();
  train->add_option("--clip", tf->options.clip, "Frames per clip")->check(CLI::Range(1, 10))->capture_default_str();
  train->add_option("--lr", tf->options.lr, "Adam learning rate (after the warm-up)")->capture_default_str();
  train->add_option("--warmup", tf->options.warmup, "Warm-up steps")->check(CLI::NonNegativeNumber)->capture_default_str();
  train->add_option("--slots", tf->options.model.slots, "Slots (objects + background)")->check(CLI::Range(2, 64))->capture_default_str();
  train->add_option("--dim", tf->options.model.dim, "Slot size")->check(CLI::PositiveNumber)->capture_default_str();
  train->add_option("--channels", tf->options.model.channels, "Conv channels")->check(CLI::PositiveNumber)->capture_default_str();
  train->add_option("--decoder", tf->decoder,
                    "attention (masks from the slot attention, one colour per slot) or broadcast (the paper's "
                    "spatial-broadcast decoder)")
      ->capture_default_str();
  train->add_option("--log-every", tf->options.log_every, "Steps between loss rows")->check(CLI::PositiveNumber)->capture_default_str();
  train->add_option("--checkpoint-every", tf->options.checkpoint_every, "Steps between checkpoints (and at the last step)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  train->callback([tf, &g] {
    apply_globals(g);
    auto& o = tf->options;
    o.data = tf->data;
    o.seed = g.seed;
    o.model.decoder = obj::parse_slot_decoder(tf->decoder);
    o.checkpoint = tf->checkpoint.empty() ? std::filesystem::path(tf->data) / "slot-video.ckpt"
                                          : std::filesystem::path(tf->checkpoint);
    o.validate();
    const nlohmann::json config = {{"data", tf->data}, {"split", o.split}, {"checkpoint", o.checkpoint->string()},
                                   {"steps", o.steps}, {"batch", o.batch}, {"clip", o.clip}, {"lr", o.lr},
                                   {"warmup", o.warmup}, {"model", o.model.to_json()}};
    record_run(g, "objects train", config, [&](Store& store, int64_t run) { train_slot_model(o, store, run); });
    std::cout << "wrote " << o.checkpoint->string() << "\n";
  });

  struct PredictFlags {
    std::string data = "vmds", split = "test", output, model;
  };
  auto pf = std::make_shared<PredictFlags>();
  auto* predict = objects->add_subcommand(
      "predict", "Slot masks of a trained model (--model), or the trivial baseline: one slot per connected component");
  predict->add_option("--data", pf->data, "Folder written by objects generate")->capture_default_str();
  predict->add_option("--split", pf->split, "Split name (its <split>_NNN.npy frame files)")->capture_default_str();
  predict->add_option("--model", pf->model, "A checkpoint of objects train (default: connected components, no tracking)");
  predict->add_option("-o,--output", pf->output, "Predictions JSON (default: <data>/<split>_slots.json or _components.json)");
  predict->callback([pf, &g] {
    apply_globals(g);
    if (pf->output.empty()) {
      pf->output = (std::filesystem::path(pf->data) / (pf->split + (pf->model.empty() ? "_components.json" : "_slots.json"))).string();
    }
    const torch::Tensor frames = obj::read_split_frames(pf->data, pf->split);
    std::vector<obj::Video> predictions;
    if (pf->model.empty()) {
      predictions = obj::connected_components_predictions(frames);
    } else {
      obj::SlotVideo model = obj::load_slot_video(pf->model);
      Progress progress("predict", frames.size(0));
      obj::SlotPrediction p = obj::predict_slot_video(model, frames, g.seed, [&](int64_t) { progress.advance(); });
      progress.finish();
      predictions = std::move(p.videos);
      std::cout << "reconstruction MSE (sum over C x H x W, mean over frames): " << fixed(p.mse, 2) << "\n";
    }
    write_text_file(pf->output, obj::videos_to_json(predictions).dump());
    std::cout << "wrote predictions for " << predictions.size() << " videos to " << pf->output << "\n";
  });

  struct EvalFlags {
    std::string ground_truth, predictions, frames = "2-9";
    obj::EvalOptions options;
    bool keep_background = false;
  };
  auto ef = std::make_shared<EvalFlags>();
  auto* eval = objects->add_subcommand("eval", "MOT metrics of predictions against ground truth, as the benchmark computes them");
  eval->add_option("--ground-truth", ef->ground_truth, "Ground-truth JSON (the benchmark's format)")->required();
  eval->add_option("--predictions", ef->predictions, "Predictions JSON (a list of videos of frames {masks, ids})")->required();
  eval->add_option("--frames", ef->frames, "Frames scored (the benchmark's default: 2-9)")->capture_default_str();
  eval->add_option("--iou-threshold", ef->options.iou_threshold, "Least IoU of a match")->capture_default_str();
  eval->add_option("--min-pixels", ef->options.min_pixels, "Masks of at most this many pixels are dropped")->capture_default_str();
  eval->add_option("--image-size", ef->options.image_size, "Frame side")->capture_default_str();
  eval->add_flag("--keep-background", ef->keep_background,
                 "Do not remove predictions on the background (the benchmark's reported numbers remove them)");
  eval->callback([ef, &g] {
    apply_globals(g);
    std::tie(ef->options.start_frame, ef->options.stop_frame) = parse_frames(ef->frames);
    ef->options.exclude_background = !ef->keep_background;
    ef->options.validate();
    const nlohmann::json config = {{"ground_truth", ef->ground_truth}, {"predictions", ef->predictions},
                                   {"frames", ef->frames}, {"iou_threshold", ef->options.iou_threshold},
                                   {"min_pixels", ef->options.min_pixels}, {"exclude_background", ef->options.exclude_background}};
    obj::EvalResult result;
    record_run(g, "objects eval", config, [&](Store& store, int64_t run) {
      const auto gt = read_videos(ef->ground_truth);
      const auto pred = read_videos(ef->predictions);
      result = obj::evaluate_mot(gt, pred, ef->options);
      store.add_results(run, mot_rows(ef->predictions, ef->ground_truth, result.metrics));
    });
    if (result.background_filtered > 0) {
      log_warning("objects eval: ", result.background_filtered,
                  " background masks had at most --min-pixels pixels; as in the benchmark, the last object mask of "
                  "those frames was taken for the background");
    }
    if (g.json) {
      print_json(result.metrics.to_json());
      return;
    }
    const auto& m = result.metrics;
    print_table({"MOTA", "MOTP", "MD", "MT", "Match", "Miss", "ID S.", "FPs"},
                {{fixed(m.mota, 1), fixed(m.motp, 1), fixed(m.mostly_detected, 1), fixed(m.mostly_tracked, 1),
                  fixed(m.match, 1), fixed(m.miss, 1), fixed(m.id_switches, 1), fixed(m.false_positives, 1)}});
    std::cout << m.num_objects << " object occurrences in " << m.num_frames << " frames\n";
  });
}

}  // namespace robustlab::cli
