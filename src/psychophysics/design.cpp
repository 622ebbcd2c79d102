// See design.h.
#include "robustlab/psychophysics/design.h"

#include <algorithm>
#include <map>
#include <numeric>
#include <random>

#include <torch/torch.h>

#include "robustlab/core/error.h"
#include "robustlab/core/paths.h"
#include "robustlab/core/random.h"
#include "robustlab/data/image_folder.h"
#include "robustlab/psychophysics/exemplars.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace robustlab::psychophysics {

void StimulusOptions::validate() const {
  if (units.empty()) throw InvalidArgument("StimulusOptions: no units given");
  for (const auto& u : units) {
    if (u.layer.empty() || u.channel < 0) throw InvalidArgument("StimulusOptions: a unit needs a layer and a channel >= 0");
  }
  if (images < 2) throw InvalidArgument("StimulusOptions: images must be >= 2, got " + std::to_string(images));
  if (batches < 1) throw InvalidArgument("StimulusOptions: batches must be >= 1, got " + std::to_string(batches));
  if (activation_batch_size < 1) throw InvalidArgument("StimulusOptions: activation_batch_size must be >= 1");
  vis.validate();
}

namespace {

json vis_json(const FeatureVisOptions& v) {
  return {{"size", v.size},       {"padding", v.padding}, {"channels", v.channels},   {"steps", v.steps},
          {"lr", v.lr},           {"diversity", v.diversity}, {"jitter", v.jitter}, {"scales", v.scales},
          {"angles", v.angles},   {"jitter_after", v.jitter_after}, {"input_size", v.input_size}, {"seed", v.seed}};
}

void write_image(const fs::path& path, const torch::Tensor& image) { write_png(path, tensor_to_image(image)); }

json make_unit(Classifier& model, const DatasetPtr& data, const StimulusOptions& o, size_t k,
               const torch::Tensor& activations, const fs::path& dir, const json& options) {
  const Unit& unit = o.units[k];
  const std::string base = "units/" + std::to_string(k) + "/";
  json u = {{"layer", unit.layer}, {"channel", unit.channel}, {"options", options}};
  u["natural_max"] = activations.max().item<double>();
  u["natural_min"] = activations.min().item<double>();
  const ExemplarBatches ex = exemplar_batches(activations, o.images, o.batches, o.seed + 2 * k);
  const float* a = activations.data_ptr<float>();
  json batches = json::array();
  for (int64_t b = 0; b < o.batches; ++b) {
    json batch;
    for (const auto& [kind, sets] : {std::pair{"max", &ex.max}, std::pair{"min", &ex.min}}) {
      json images = json::array();
      for (int64_t i = 0; i < o.images; ++i) {
        const int64_t index = (*sets)[static_cast<size_t>(b)][static_cast<size_t>(i)];
        const std::string file = base + "natural/batch_" + std::to_string(b) + "/" + kind + "_" + std::to_string(i) + ".png";
        fs::create_directories((dir / file).parent_path());
        write_image(dir / file, data->get(index).image);
        images.push_back({{"file", file}, {"index", index}, {"activation", a[index]}});
      }
      batch[kind] = images;
    }
    batches.push_back(batch);
  }
  u["natural"] = batches;
  json synthetic;
  for (bool minimize : {false, true}) {
    FeatureVisOptions v = o.vis;
    v.layer = unit.layer;
    v.channel = unit.channel;
    v.minimize = minimize;
    v.batch = o.images;
    v.seed = o.vis.seed + 2 * k + (minimize ? 1 : 0);
    const FeatureVisResult r = visualize_channel(model, v);
    const std::string kind = minimize ? "min" : "max";
    json images = json::array();
    for (int64_t i = 0; i < o.images; ++i) {
      const std::string file = base + "synthetic/" + kind + "_" + std::to_string(i) + ".png";
      fs::create_directories((dir / file).parent_path());
      write_image(dir / file, r.images[i]);
      images.push_back({{"file", file}, {"activation", r.activations[i].item<double>()}});
    }
    synthetic[kind] = images;
  }
  u["synthetic"] = synthetic;
  return u;
}

}  // namespace

json write_stimuli(Classifier& model, const DatasetPtr& data, const StimulusOptions& o, const fs::path& dir,
                   const std::function<void(const std::string&)>& log) {
  o.validate();
  fs::create_directories(dir);
  remove_stale_temporaries(dir);
  const int64_t needed = 2 * o.images * o.batches;
  if (data->size() < needed) {
    throw InvalidArgument("dataset " + data->name() + " has " + std::to_string(data->size()) + " images, too few for " +
                          std::to_string(o.batches) + " batches of " + std::to_string(o.images) + " max and min images (needs " +
                          std::to_string(needed) + ")");
  }
  std::vector<json> units(o.units.size());
  std::vector<json> options(o.units.size());
  std::map<std::string, std::vector<size_t>> pending;  // layer -> units not yet written
  for (size_t k = 0; k < o.units.size(); ++k) {
    options[k] = {{"layer", o.units[k].layer}, {"channel", o.units[k].channel}, {"images", o.images},
                  {"batches", o.batches}, {"seed", o.seed}, {"vis", vis_json(o.vis)}, {"dataset", data->name()},
                  {"model", model.description()}};
    const fs::path unit_file = dir / ("units/" + std::to_string(k) + "/unit.json");
    if (fs::exists(unit_file)) {
      const json done = json::parse(read_file(unit_file), nullptr, false);
      if (!done.is_discarded() && done.value("options", json()) == options[k]) {
        units[k] = done;
        if (log) log("unit " + std::to_string(k) + " (" + o.units[k].layer + " channel " + std::to_string(o.units[k].channel) + "): kept");
        continue;
      }
    }
    pending[o.units[k].layer].push_back(k);
  }
  for (const auto& [layer, ks] : pending) {
    std::vector<int64_t> channels;
    for (size_t k : ks) channels.push_back(o.units[k].channel);
    const torch::Tensor acts = channel_activations(model, data, layer, channels, o.activation_batch_size);
    for (size_t j = 0; j < ks.size(); ++j) {
      const size_t k = ks[j];
      units[k] = make_unit(model, data, o, k, acts.select(1, static_cast<int64_t>(j)).contiguous(), dir, options[k]);
      write_text_file(dir / ("units/" + std::to_string(k) + "/unit.json"), units[k].dump());
      if (log) {
        const auto& s = units[k]["synthetic"];
        log("unit " + std::to_string(k) + " (" + layer + " channel " + std::to_string(o.units[k].channel) +
            "): natural activations " + std::to_string(units[k]["natural_min"].get<double>()) + " .. " +
            std::to_string(units[k]["natural_max"].get<double>()) + ", synthetic max " +
            std::to_string(s["max"][0]["activation"].get<double>()) + ", min " + std::to_string(s["min"][0]["activation"].get<double>()));
      }
    }
  }
  json manifest = {{"format", "robustlab-feature-visualization-stimuli/1"},
                   {"model", model.description()},
                   {"dataset", data->name()},
                   {"images", o.images},
                   {"batches", o.batches},
                   {"units", units}};
  write_text_file(dir / "stimuli.json", manifest.dump(1));
  return manifest;
}

json read_manifest(const fs::path& dir) {
  const fs::path file = dir / "stimuli.json";
  require_file(file, "experiment stimuli");
  const json m = json::parse(read_file(file), nullptr, false);
  if (m.is_discarded() || m.value("format", "") != "robustlab-feature-visualization-stimuli/1" || !m.contains("units") ||
      !m["units"].is_array() || m["units"].empty()) {
    throw FormatError("experiment stimuli: '" + file.string() + "' is not a robustlab stimulus manifest");
  }
  return m;
}

void DesignOptions::validate() const {
  if (main_trials < 1) throw InvalidArgument("DesignOptions: main_trials must be >= 1");
  if (catch_trials < 0) throw InvalidArgument("DesignOptions: catch_trials must be >= 0");
  if (references < 1) throw InvalidArgument("DesignOptions: references must be >= 1");
}

json DesignOptions::to_json() const {
  return {{"main_trials", main_trials}, {"catch_trials", catch_trials}, {"references", references},
          {"none_blocks", none_blocks}, {"seed", seed}};
}

DesignOptions DesignOptions::from_json(const json& j) {
  DesignOptions d;
  d.main_trials = j.value("main_trials", d.main_trials);
  d.catch_trials = j.value("catch_trials", d.catch_trials);
  d.references = j.value("references", d.references);
  d.none_blocks = j.value("none_blocks", d.none_blocks);
  d.seed = j.value("seed", d.seed);
  return d;
}

std::vector<Trial> make_session(const json& manifest, const DesignOptions& design, int64_t slot) {
  design.validate();
  const int64_t images = manifest.at("images").get<int64_t>();
  const int64_t batches = manifest.at("batches").get<int64_t>();
  const auto& units = manifest.at("units");
  const auto n_units = static_cast<int64_t>(units.size());
  const int64_t r = design.references;
  if (r > images - 1) {
    throw InvalidArgument("DesignOptions: " + std::to_string(r) + " references need batches of at least " +
                          std::to_string(r + 1) + " images, the stimuli have " + std::to_string(images));
  }
  std::mt19937_64 rng = make_rng(design.seed, static_cast<uint64_t>(slot));
  const auto uniform = [&rng](int64_t n) { return std::uniform_int_distribution<int64_t>(0, n - 1)(rng); };
  std::vector<std::string> blocks;
  if (design.none_blocks) blocks.push_back("none_pre");
  if (slot % 2 == 0) {
    blocks.insert(blocks.end(), {"natural", "optimized"});
  } else {
    blocks.insert(blocks.end(), {"optimized", "natural"});
  }
  if (design.none_blocks) blocks.push_back("none_post");

  std::vector<Trial> session;
  for (size_t bi = 0; bi < blocks.size(); ++bi) {
    const std::string& block = blocks[bi];
    const std::string condition = block.rfind("none", 0) == 0 ? "none" : block;
    std::vector<int64_t> cycle(static_cast<size_t>(n_units));
    std::iota(cycle.begin(), cycle.end(), 0);
    std::vector<Trial> trials;
    const int64_t catches = condition == "none" ? 0 : design.catch_trials;
    for (int64_t t = 0; t < design.main_trials + catches; ++t) {
      if (t % n_units == 0) std::shuffle(cycle.begin(), cycle.end(), rng);
      Trial trial;
      trial.block = block;
      trial.condition = condition;
      trial.unit = cycle[static_cast<size_t>(t % n_units)];
      trial.batch = uniform(batches);
      trial.catch_trial = t >= design.main_trials;
      const auto& u = units[static_cast<size_t>(trial.unit)];
      const auto& nat = u.at("natural")[static_cast<size_t>(trial.batch)];
      const auto file = [](const json& img) { return img.at("file").get<std::string>(); };
      if (condition == "natural") {
        for (int64_t i = 0; i < r; ++i) {
          trial.max_references.push_back(file(nat["max"][static_cast<size_t>(images - 1 - r + i)]));
          trial.min_references.push_back(file(nat["min"][static_cast<size_t>(1 + i)]));
        }
      } else if (condition == "optimized") {
        for (int64_t i = 0; i < r; ++i) {
          trial.max_references.push_back(file(u.at("synthetic")["max"][static_cast<size_t>(i)]));
          trial.min_references.push_back(file(u.at("synthetic")["min"][static_cast<size_t>(i)]));
        }
      }
      json max_query = nat["max"][static_cast<size_t>(images - 1)], min_query = nat["min"][0];
      if (trial.catch_trial) {  // the query is shown among the references
        const int64_t a = uniform(r), b = uniform(r);
        const json& src = condition == "natural" ? nat : u.at("synthetic");
        max_query = condition == "natural" ? src["max"][static_cast<size_t>(images - 1 - r + a)] : src["max"][static_cast<size_t>(a)];
        min_query = condition == "natural" ? src["min"][static_cast<size_t>(1 + b)] : src["min"][static_cast<size_t>(b)];
      }
      trial.correct = static_cast<int>(uniform(2));
      const json& left = trial.correct == 0 ? max_query : min_query;
      const json& right = trial.correct == 0 ? min_query : max_query;
      trial.left = file(left);
      trial.right = file(right);
      trial.left_activation = left.at("activation").get<double>();
      trial.right_activation = right.at("activation").get<double>();
      trials.push_back(std::move(trial));
    }
    std::shuffle(trials.begin(), trials.end(), rng);
    for (auto& t : trials) {
      t.index = static_cast<int64_t>(session.size());
      t.break_before = bi > 0 && &t == &trials.front();
      session.push_back(std::move(t));
    }
  }
  return session;
}

json trial_for_client(const Trial& t, int64_t total) {
  json refs_max = json::array(), refs_min = json::array();
  for (size_t i = 0; i < t.max_references.size(); ++i) refs_max.push_back("r/max/" + std::to_string(i));
  for (size_t i = 0; i < t.min_references.size(); ++i) refs_min.push_back("r/min/" + std::to_string(i));
  return {{"trial", t.index}, {"total", total},       {"block", t.block},  {"references", !t.max_references.empty()},
          {"max", refs_max},  {"min", refs_min},      {"left", "q/left"}, {"right", "q/right"},
          {"break", t.break_before}};
}

std::string trial_image(const Trial& t, const std::string& name) {
  if (name == "q/left") return t.left;
  if (name == "q/right") return t.right;
  for (const auto& [prefix, list] : {std::pair{std::string("r/max/"), &t.max_references}, std::pair{std::string("r/min/"), &t.min_references}}) {
    if (name.rfind(prefix, 0) != 0) continue;
    const std::string digits = name.substr(prefix.size());
    if (digits.empty() || digits.size() > 3 || !std::all_of(digits.begin(), digits.end(), ::isdigit)) return "";
    const auto i = static_cast<size_t>(std::stoi(digits));
    return i < list->size() ? (*list)[i] : "";
  }
  return "";
}

std::vector<TrialRecord> experiment_records(const json& manifest, const std::vector<ParticipantAnswers>& data) {
  std::vector<TrialRecord> out;
  for (const auto& p : data) {
    for (size_t i = 0; i < p.answers.size() && i < p.trials.size(); ++i) {
      const Trial& t = p.trials[i];
      const json& a = p.answers[i];
      TrialRecord r;
      r.participant = std::to_string(p.participant);
      r.condition = t.block;
      r.layer = manifest.at("units")[static_cast<size_t>(t.unit)].at("layer").get<std::string>();
      r.trial_type = "main";
      r.catch_trial = t.catch_trial;
      r.correct = a.at("choice").get<int>() == t.correct;
      r.rt = a.value("rt_ms", 0.0) / 1000.0;
      r.confidence = a.value("confidence", 0.0);
      out.push_back(std::move(r));
    }
  }
  return out;
}

}  // namespace robustlab::psychophysics
