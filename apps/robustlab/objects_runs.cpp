// The object-centric benchmark runs of the CLI (see objects_runs.h).
#include "objects_runs.h"

#include <cmath>
#include <iostream>

#include "common.h"
#include "robustlab/core/log.h"
#include "robustlab/core/paths.h"
#include "robustlab/core/progress.h"
#include "robustlab/objects/vmds.h"

namespace robustlab::cli {

namespace obj = robustlab::objects;

obj::SlotVideo train_slot_model(const obj::SlotTrainOptions& o, Store& store, int64_t run) {
  Progress progress("train slot-video", o.steps);
  obj::SlotVideo model = obj::train_slot_video(
      o,
      [&](const obj::SlotTrainPoint& p) {
        log_debug("step ", p.step, ": mse ", fixed(p.mse, 5));
        store.add_results(run, {{"slot-video", o.data.string(), {{"step", p.step}}, "train_mse", p.mse, o.batch * o.clip}});
      },
      &progress);
  progress.finish();
  return model;
}

std::vector<ResultRow> mot_rows(const std::string& model, const std::string& dataset, const obj::MotMetrics& m) {
  std::vector<ResultRow> rows;
  const nlohmann::json metrics = m.to_json();
  for (const auto& [name, value] : metrics.items())
    rows.push_back({model, dataset, {}, name, value.is_null() ? NAN : value.get<double>(), m.num_objects});
  return rows;
}

std::vector<ObjectsRow> objects_section(Store& store, int64_t run, uint64_t seed, int64_t steps) {
  const std::filesystem::path dir = default_cache_dir() / ("vmds-" + std::to_string(seed));
  std::vector<obj::SplitOptions> splits = {{obj::VideoSet::kVmds, 2000, 500, seed, "train"},
                                           {obj::VideoSet::kVmds, 200, 500, seed, "test"}};
  for (obj::VideoSet c : obj::challenge_sets()) splits.push_back({c, 100, 500, seed, "test_" + obj::to_string(c)});
  {
    int64_t videos = 0;
    for (const auto& s : splits) videos += s.videos;
    Progress progress("vmds data", videos);
    for (const auto& s : splits) obj::write_split(dir, s, [&](int64_t) { progress.advance(); });
    progress.finish();
  }
  obj::SlotTrainOptions o;
  o.data = dir;
  o.steps = steps;
  o.seed = seed;
  o.log_every = std::max<int64_t>(1, steps / 30);
  o.checkpoint = dir / ("slot-video-" + std::to_string(steps) + ".ckpt");
  obj::SlotVideo model = train_slot_model(o, store, run);
  std::vector<ObjectsRow> out;
  for (const auto& s : splits) {
    if (s.split == "train") continue;
    const std::string set = obj::to_string(s.set);
    const torch::Tensor frames = obj::read_split_frames(dir, s.split);
    const nlohmann::json truth = nlohmann::json::parse(read_file(dir / (s.split + ".json")));
    const std::vector<obj::Video> gt = obj::videos_from_json(truth);
    Progress progress("objects " + set, frames.size(0));
    obj::SlotPrediction slots = obj::predict_slot_video(model, frames, seed, [&](int64_t) { progress.advance(); });
    progress.finish();
    const std::vector<obj::Video> components = obj::connected_components_predictions(frames);
    using Named = std::pair<std::string, const std::vector<obj::Video>*>;
    for (const auto& [name, predictions] : {Named{"slot-video", &slots.videos}, Named{"connected-components", &components}}) {
      ObjectsRow row{name, set, obj::evaluate_mot(gt, *predictions).metrics};
      std::vector<ResultRow> rows = mot_rows(name, "vmds/" + set, row.metrics);
      if (name == "slot-video") {
        row.mse = slots.mse;
        rows.push_back({name, "vmds/" + set, nlohmann::json::object(), "mse", slots.mse, frames.size(0) * frames.size(1)});
      }
      store.add_results(run, rows);
      out.push_back(row);
    }
  }
  return out;
}

void print_objects_table(const std::vector<ObjectsRow>& rows) {
  std::vector<std::vector<std::string>> lines;
  auto pct = [](double v) { return fixed(v, 1); };
  for (const auto& r : rows) {
    const auto& m = r.metrics;
    lines.push_back({r.model, r.set, pct(m.mota), pct(m.motp), pct(m.mostly_detected), pct(m.mostly_tracked), pct(m.match),
                     pct(m.miss), pct(m.id_switches), pct(m.false_positives), std::isnan(r.mse) ? "" : fixed(r.mse, 1)});
  }
  // Weis et al. 2021, table on VMDS (mean over 3 seeds; ../shared/reference/replearn.md §3.4).
  lines.push_back({"ViMON (published)", "vmds", "86.8", "86.8", "86.2", "85.0", "92.3", "7.0", "0.7", "5.5", "10.7"});
  lines.push_back({"MONet (published)", "vmds", "49.4", "78.6", "74.2", "35.7", "66.7", "13.6", "19.7", "17.2", "22.2"});
  print_table({"model", "test set", "MOTA", "MOTP", "MD", "MT", "Match", "Miss", "ID S.", "FPs", "MSE"}, lines);
}

}  // namespace robustlab::cli
