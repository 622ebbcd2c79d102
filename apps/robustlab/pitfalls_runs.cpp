// See pitfalls_runs.h: the recognition-gap search and the SVRT study of Funke et al. 2021 with their
// results stored.
#include "pitfalls_runs.h"

#include <algorithm>
#include <bit>
#include <cstdio>
#include <iostream>
#include <numeric>
#include <tuple>

#include "common.h"

#include "robustlab/core/error.h"
#include "robustlab/core/log.h"
#include "robustlab/core/progress.h"
#include "robustlab/core/random.h"
#include "robustlab/data/image_folder.h"
#include "robustlab/models/load.h"
#include "robustlab/models/predict.h"
#include "robustlab/models/train.h"
#include "robustlab/models/zoo.h"
#include "robustlab/stimuli/contours.h"
#include "robustlab/stimuli/svrt.h"

namespace robustlab::cli {

evaluation::GapSummary store_recognition_gaps(Store& store, int64_t run, const std::string& model_name,
                                              Classifier& model, const DatasetPtr& data,
                                              const std::vector<int64_t>& targets,
                                              const evaluation::RecognitionGapOptions& options,
                                              const std::map<int64_t, evaluation::RecognitionGap>& done) {
  const std::string children = evaluation::to_string(options.children);
  std::vector<evaluation::RecognitionGap> results;
  Progress progress("recognition gap", data->size());
  for (int64_t i = 0; i < data->size(); ++i) {
    evaluation::RecognitionGap r;
    if (const auto it = done.find(i); it != done.end()) {
      r = it->second;
    } else {
      const Example e = data->get(i);
      r = evaluation::recognition_gap(model, e.image, targets.empty() ? std::vector<int64_t>{e.label} : targets, options);
    }
    const nlohmann::json condition = {{"image", i}, {"children", children}};
    store.add_results(run, {{model_name, data->name(), condition, "recognition_gap", r.gap, 1},
                            {model_name, data->name(), condition, "mirc_size", static_cast<double>(r.mirc_size), 1},
                            {model_name, data->name(), condition, "p_mirc", r.p_mirc, 1},
                            {model_name, data->name(), condition, "p_sub_mirc", r.p_sub_mirc, 1}});
    results.push_back(std::move(r));
    progress.advance();
  }
  progress.finish();
  const evaluation::GapSummary s = evaluation::summarize(results);
  const nlohmann::json condition = {{"children", children}, {"images", s.images}};
  store.add_results(run, {{model_name, data->name(), condition, "mean_recognition_gap", s.mean_gap, s.with_mirc},
                          {model_name, data->name(), condition, "std_recognition_gap", s.std_gap, s.with_mirc},
                          {model_name, data->name(), condition, "mean_mirc_size", s.mean_mirc_size, s.with_mirc}});
  return s;
}

std::map<int64_t, evaluation::RecognitionGap> stored_recognition_gaps(const Store& store, int64_t run) {
  std::map<int64_t, evaluation::RecognitionGap> done;
  for (const auto& r : store.results({.run_id = run})) {
    if (!r.row.condition.contains("image")) continue;
    evaluation::RecognitionGap& d = done[r.row.condition.at("image").get<int64_t>()];
    if (r.row.metric == "recognition_gap") d.gap = r.row.value;
    if (r.row.metric == "mirc_size") d.mirc_size = static_cast<int64_t>(r.row.value);
    if (r.row.metric == "p_mirc") d.p_mirc = r.row.value;
    if (r.row.metric == "p_sub_mirc") d.p_sub_mirc = r.row.value;
  }
  return done;
}

void print_recognition_gap(const std::string& model, const std::string& dataset, const evaluation::GapSummary& s) {
  print_table({"model", "dataset", "images", "with a MIRC", "recognition gap", "MIRC size (px)"},
              {{model, dataset, std::to_string(s.images), std::to_string(s.with_mirc),
                fixed(s.mean_gap, 3) + " ± " + fixed(s.std_gap, 3), fixed(s.mean_mirc_size, 1)}});
  std::cout << "(humans: 0.71 ± 0.05, Ullman et al. 2016; BagNet-33 on ImageNet with ullman4: 0.897 ± 0.176, "
               "Funke et al. 2021)\n";
}

ContourSetResult evaluate_contour_set(Store& store, int64_t run, const std::string& model_name, Classifier& model,
                                      const std::filesystem::path& folder, const ImageTransform& transform,
                                      int64_t batch_size) {
  const auto data = std::make_shared<ImageFolder>(folder, transform);
  if (data->class_names() != std::vector<std::string>{"closed", "open"})
    throw InvalidArgument("pitfalls contour: '" + folder.string() + "' must hold exactly the class folders closed/ and open/");
  check_fits(model, *data);  // a 2-class model (closed, open)
  std::vector<double> scores;
  std::vector<int64_t> labels;
  torch::NoGradGuard no_grad;
  model.set_training(false);
  const BatchLoader loader(data, {.batch_size = batch_size});
  for (int64_t b = 0; b < loader.num_batches(); ++b) {
    const Batch batch = loader.batch(b);
    const torch::Tensor logits = model.forward(batch.x).to(torch::kCPU, torch::kFloat64);
    const torch::Tensor score = (logits.select(1, 1) - logits.select(1, 0)).contiguous();  // open vs closed
    const torch::Tensor y = batch.y.to(torch::kInt64).contiguous();
    scores.insert(scores.end(), score.data_ptr<double>(), score.data_ptr<double>() + score.numel());
    labels.insert(labels.end(), y.data_ptr<int64_t>(), y.data_ptr<int64_t>() + y.numel());
  }
  ContourSetResult r{folder.filename().string(), static_cast<int64_t>(scores.size()),
                     evaluation::criterion_accuracy(scores, labels)};
  store.add_results(run, {{model_name, r.set, {{"criterion", "zero"}}, "accuracy", r.accuracy.at_zero, r.images},
                          {model_name, r.set, {{"criterion", "optimised"}, {"threshold", r.accuracy.threshold}},
                           "accuracy", r.accuracy.optimised, r.images}});
  return r;
}

void ContourStudyOptions::validate() const {
  if (repetitions < 1 || test_repetitions < 1 || epochs < 1 || batch_size < 1 || size < 4)
    throw InvalidArgument("pitfalls contour: repetitions, epochs and batch size must be >= 1 and the size >= 4");
  if (!(lr > 0)) throw InvalidArgument("pitfalls contour: the learning rate must be > 0");
  for (const std::string& set : sets) stimuli::parse_contour_set(set);
  ZooConfig{.arch = arch, .in_channels = 1, .num_classes = 2, .image_size = size}.validate();
}

nlohmann::json ContourStudyOptions::to_json() const {
  return {{"repetitions", repetitions}, {"test_repetitions", test_repetitions}, {"epochs", epochs}, {"lr", lr},
          {"batch_size", batch_size},   {"arch", arch},  {"size", size},  {"sets", sets},  {"data", data.string()}};
}

std::filesystem::path train_contour_model(Store& store, int64_t run, const ContourStudyOptions& options) {
  options.validate();
  // The reference's seeds: test 1, train 2 (offset by --seed); every test set from the same streams.
  auto write = [&](const std::string& set, const std::filesystem::path& folder, int64_t repetitions, uint64_t seed) {
    Progress progress("contours " + set, repetitions * 7);
    stimuli::write_contour_set(folder, {.set = stimuli::parse_contour_set(set), .repetitions = repetitions, .seed = seed},
                               [&](int64_t, int64_t) { progress.advance(); });
    progress.finish();
  };
  const ZooConfig config{.arch = options.arch, .in_channels = 1, .num_classes = 2, .image_size = options.size};
  TrainOptions train{.epochs = options.epochs, .lr = options.lr, .batch_size = options.batch_size,
                     .flip = true, .vertical_flip = true, .seed = options.seed};
  nlohmann::json key = {{"model", config.to_json()}, {"train", train.to_json()}, {"repetitions", options.repetitions}};
  char hash[17];
  std::snprintf(hash, sizeof hash, "%016llx", static_cast<unsigned long long>(text_hash(key.dump())));
  const auto checkpoint = options.data / (options.arch + "-" + hash + ".ckpt");
  if (std::filesystem::exists(checkpoint)) {
    log_info("pitfalls contour: using the model trained earlier, ", checkpoint.string());
  } else {
    write("training", options.data / "train", options.repetitions, options.seed + 2);
    const auto data = std::make_shared<ImageFolder>(options.data / "train", ImageTransform{options.size, options.size, true});
    torch::manual_seed(options.seed);
    ZooClassifier model(config);
    train.resume = resume_path(checkpoint);  // an interrupted training continues after its last epoch
    log_info("training ", options.arch, " on ", data->size(), " contour images for ", options.epochs, " epochs");
    train_classifier(model, data, train, nullptr, [&](const EpochStats& e) {
      store.add_results(run, {{options.arch, "contours/train", {{"epoch", e.epoch}}, "train_loss", e.loss, data->size()},
                              {options.arch, "contours/train", {{"epoch", e.epoch}}, "train_accuracy", e.train_accuracy,
                               data->size()}});
      log_info("epoch ", e.epoch, ": loss ", fixed(e.loss, 4), ", train accuracy ", fixed(e.train_accuracy, 4), ", ",
               fixed(e.images_per_second, 0), " images/s");
    });
    save_checkpoint(model, checkpoint, {{"train", train.to_json()}, {"repetitions", options.repetitions}});
    std::filesystem::remove(train.resume);
  }
  for (const std::string& set : options.sets) write(set, options.data / "test" / set, options.test_repetitions, options.seed + 1);
  return checkpoint;
}

namespace {

const char* svrt_group(int problem) { return stimuli::svrt_is_same_different(problem) ? "same-different" : "spatial"; }

std::string svrt_dataset(int problem) { return "svrt/problem_" + std::to_string(problem); }

// The first n/2 images of each class of an SVRT folder (the reference's get_subset).
DatasetPtr first_of_each_class(const std::shared_ptr<ImageFolder>& folder, int64_t n) {
  std::vector<int64_t> indices;
  std::map<std::string, int64_t> taken;
  for (int64_t i = 0; i < folder->size(); ++i) {
    int64_t& count = taken[folder->file(i).parent_path().filename().string()];
    if (count < n / 2) indices.push_back(i), ++count;
  }
  if (static_cast<int64_t>(indices.size()) != n)
    throw InvalidArgument("svrt: " + folder->name() + " holds fewer than " + std::to_string(n / 2) + " images of a class");
  return std::make_shared<SubsetDataset>(folder, std::move(indices));
}

}  // namespace

void SvrtStudyOptions::validate() const {
  if (problems.empty()) throw InvalidArgument("pitfalls svrt: no problems");
  for (int p : problems)
    if (p < 1 || p > stimuli::kSvrtProblems)
      throw InvalidArgument("pitfalls svrt: problem " + std::to_string(p) + " does not exist (1..23)");
  if (sizes.empty()) throw InvalidArgument("pitfalls svrt: no training-set sizes");
  for (int64_t n : sizes)
    if (n < 2 || n % 2 != 0)
      throw InvalidArgument("pitfalls svrt: training-set sizes must be even and >= 2 (half of each class), got " +
                            std::to_string(n));
  for (double lr : lrs)
    if (!(lr > 0)) throw InvalidArgument("pitfalls svrt: learning rates must be > 0");
  if (lrs.empty()) throw InvalidArgument("pitfalls svrt: no learning rates");
  if (presentations < 1 || batch_size < 1) throw InvalidArgument("pitfalls svrt: presentations and batch size must be >= 1");
  if (val_samples < 2 || val_samples % 2 != 0 || test_samples < 2 || test_samples % 2 != 0)
    throw InvalidArgument("pitfalls svrt: validation and test samples must be even and >= 2");
  ZooConfig{.arch = arch, .in_channels = 1, .num_classes = 2, .image_size = stimuli::kSvrtSide}.validate();
}

nlohmann::json SvrtStudyOptions::to_json() const {
  return {{"problems", problems},       {"sizes", sizes},         {"presentations", presentations},
          {"lrs", lrs},                 {"arch", arch},           {"batch_size", batch_size},
          {"val_samples", val_samples}, {"test_samples", test_samples}, {"data", data.string()}};
}

SvrtSummary run_svrt_study(Store& store, int64_t run, const SvrtStudyOptions& options,
                           const std::vector<SvrtCell>& done) {
  options.validate();
  const int64_t largest = *std::max_element(options.sizes.begin(), options.sizes.end());
  std::vector<SvrtCell> cells;
  for (const int problem : options.problems) {
    // The reference's seeds for its three sets: 17 (train), 2 (validation), 3 (test), offset by --seed.
    const auto root = options.data / ("problem_" + std::to_string(problem));
    std::map<std::string, std::shared_ptr<ImageFolder>> sets;
    for (const auto& [split, samples, seed] : {std::tuple{"train", largest, 17}, std::tuple{"val", options.val_samples, 2},
                                               std::tuple{"test", options.test_samples, 3}}) {
      Progress progress("svrt problem " + std::to_string(problem) + " " + split, samples);
      stimuli::write_svrt_set(root / split, {problem, samples, options.seed + static_cast<uint64_t>(seed)},
                              [&](int64_t, int64_t) { progress.advance(); });
      progress.finish();
      sets[split] = std::make_shared<ImageFolder>(root / split, ImageTransform{0, 0, true});
    }
    const DatasetPtr val = first_of_each_class(sets["val"], options.val_samples);
    const DatasetPtr test = first_of_each_class(sets["test"], options.test_samples);
    for (const int64_t size : options.sizes) {
      const DatasetPtr train_subset = first_of_each_class(sets["train"], size);
      for (const double lr : options.lrs) {
        const auto previous = std::find_if(done.begin(), done.end(), [&](const SvrtCell& c) {
          return c.problem == problem && c.size == size && c.lr == lr;
        });
        SvrtCell cell;
        if (previous != done.end()) {
          cell = *previous;  // its rows are stored again below: the resumed run holds every model's
        } else {
          const uint64_t cell_id = (static_cast<uint64_t>(problem) << 40) ^ (static_cast<uint64_t>(size) << 8) ^
                                   mix_seed(std::bit_cast<uint64_t>(lr));
          const uint64_t seed = mix_seed(options.seed ^ mix_seed(cell_id));
          torch::manual_seed(seed);
          ZooClassifier model({.arch = options.arch, .in_channels = 1, .num_classes = 2, .image_size = stimuli::kSvrtSide});
          const int64_t epochs = (options.presentations + size - 1) / size;
          TrainOptions train{.epochs = epochs, .lr = lr, .batch_size = options.batch_size, .flip = true,
                             .vertical_flip = true, .seed = seed};
          log_info("svrt problem ", problem, " (", svrt_group(problem), "): ", size, " training images, ", epochs,
                   " epochs, lr ", lr);
          const auto history = train_classifier(model, train_subset, train);
          cell = {problem, size, lr, history.back().train_accuracy, evaluate_accuracy(model, val).accuracy(),
                  evaluate_accuracy(model, test).accuracy()};
          log_info("svrt problem ", problem, ", ", size, " images, lr ", lr, ": train ", fixed(cell.train_accuracy, 3),
                   ", validation ", fixed(cell.val_accuracy, 3), ", test ", fixed(cell.test_accuracy, 3));
        }
        const nlohmann::json condition = {{"train_size", size}, {"lr", lr}, {"group", svrt_group(problem)}};
        store.add_results(run, {{options.arch, svrt_dataset(problem), condition, "train_accuracy", cell.train_accuracy, size},
                                {options.arch, svrt_dataset(problem), condition, "val_accuracy", cell.val_accuracy, val->size()},
                                {options.arch, svrt_dataset(problem), condition, "test_accuracy", cell.test_accuracy, test->size()}});
        cells.push_back(cell);
      }
    }
  }
  // The best learning rate per problem and size (the first on ties), then the group means.
  SvrtSummary summary;
  std::map<std::string, std::map<int64_t, std::vector<double>>> by_group;
  for (const int problem : options.problems) {
    for (const int64_t size : options.sizes) {
      const SvrtCell* best = nullptr;
      for (const SvrtCell& c : cells)
        if (c.problem == problem && c.size == size && (!best || c.val_accuracy > best->val_accuracy)) best = &c;
      summary.selected.push_back(*best);
      by_group[svrt_group(problem)][size].push_back(best->test_accuracy);
      store.add_results(run, {{options.arch, svrt_dataset(problem),
                               {{"train_size", size}, {"lr", best->lr}, {"group", svrt_group(problem)}},
                               "best_test_accuracy", best->test_accuracy, options.test_samples}});
    }
  }
  for (const auto& [group, per_size] : by_group) {
    for (const auto& [size, values] : per_size) {
      const double mean = std::accumulate(values.begin(), values.end(), 0.0) / static_cast<double>(values.size());
      summary.group_means[group][size] = mean;
      store.add_results(run, {{options.arch, "svrt/" + group, {{"train_size", size}}, "mean_test_accuracy", mean,
                               static_cast<int64_t>(values.size())}});
    }
  }
  return summary;
}

std::vector<SvrtCell> stored_svrt_cells(const Store& store, int64_t run) {
  std::map<std::tuple<int, int64_t, double>, SvrtCell> cells;
  for (const auto& r : store.results({.run_id = run})) {
    const auto& c = r.row.condition;
    if (!c.contains("lr") || !c.contains("train_size") || r.row.dataset.rfind("svrt/problem_", 0) != 0) continue;
    const int problem = std::stoi(r.row.dataset.substr(std::string("svrt/problem_").size()));
    SvrtCell& cell = cells[{problem, c.at("train_size").get<int64_t>(), c.at("lr").get<double>()}];
    cell.problem = problem;
    cell.size = c.at("train_size").get<int64_t>();
    cell.lr = c.at("lr").get<double>();
    if (r.row.metric == "train_accuracy") cell.train_accuracy = r.row.value;
    if (r.row.metric == "val_accuracy") cell.val_accuracy = r.row.value;
    if (r.row.metric == "test_accuracy") cell.test_accuracy = r.row.value;
  }
  std::vector<SvrtCell> out;
  for (const auto& [key, cell] : cells) out.push_back(cell);  // complete: the three metrics are stored together
  return out;
}

void print_svrt_summary(const SvrtStudyOptions& options, const SvrtSummary& summary) {
  std::vector<std::string> header = {"problem", "group"};
  for (int64_t n : options.sizes) header.push_back("N = " + std::to_string(n));
  std::vector<std::vector<std::string>> rows;
  for (const int problem : options.problems) {
    std::vector<std::string> row = {std::to_string(problem), svrt_group(problem)};
    for (int64_t n : options.sizes)
      for (const SvrtCell& c : summary.selected)
        if (c.problem == problem && c.size == n) row.push_back(fixed(c.test_accuracy, 3));
    rows.push_back(row);
  }
  for (const auto& [group, per_size] : summary.group_means) {
    std::vector<std::string> row = {"mean", group};
    for (int64_t n : options.sizes) row.push_back(fixed(per_size.at(n), 3));
    rows.push_back(row);
  }
  print_table(header, rows);
  std::cout << "(test accuracy at the learning rate with the best validation accuracy; Funke et al.'s ResNet-50 from "
               "scratch, N = 28,000 / 1,000 / 100: same-different 0.928 / 0.688 / 0.507, spatial 0.983 / 0.951 / "
               "0.803)\n";
}

nlohmann::json svrt_summary_json(const SvrtSummary& summary) {
  nlohmann::json problems = nlohmann::json::array();
  for (const SvrtCell& c : summary.selected)
    problems.push_back({{"problem", c.problem}, {"group", svrt_group(c.problem)}, {"train_size", c.size}, {"lr", c.lr},
                        {"train_accuracy", c.train_accuracy}, {"val_accuracy", c.val_accuracy},
                        {"test_accuracy", c.test_accuracy}});
  nlohmann::json groups = nlohmann::json::object();
  for (const auto& [group, per_size] : summary.group_means)
    for (const auto& [size, mean] : per_size) groups[group][std::to_string(size)] = mean;
  return {{"problems", problems}, {"group_means", groups}};
}

}  // namespace robustlab::cli
