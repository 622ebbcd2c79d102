// robustlab pitfalls: the case-study evaluations of Funke et al. 2021 — `pitfalls contour`: a
// closed/open classifier on contour sets (robustlab stimuli contour), accuracy at threshold 0 and
// at the optimised decision criterion, as the paper reports its generalisation table.
#include <iostream>

#include "common.h"

#include "robustlab/core/error.h"
#include "robustlab/core/log.h"
#include "robustlab/data/image_folder.h"
#include "robustlab/evaluation/decision_criterion.h"

namespace robustlab::cli {

void add_pitfalls_command(CLI::App& app, Globals& g) {
  auto* cmd = app.add_subcommand("pitfalls", "Evaluations of the human-machine comparison case studies (Funke et al. 2021)");
  cmd->require_subcommand(1);
  struct Flags {
    std::string model;
    std::vector<std::string> sets;
    LoadOptions load;
    int size = 64;
    bool grayscale = false;
    int64_t batch_size = 128;
  };
  auto f = std::make_shared<Flags>();
  auto* contour = cmd->add_subcommand(
      "contour",
      "Accuracy of a closed/open contour classifier (class folders closed/ and open/) on contour sets, at "
      "threshold 0 and at the optimised decision criterion");
  contour->add_option("--model", f->model, "Checkpoint or TorchScript file of a 2-class model (closed = 0, open = 1)")
      ->required();
  contour->add_option("--sets", f->sets, "Contour set folders (from robustlab stimuli contour), comma-separated")
      ->delimiter(',')
      ->required();
  add_load_flags(*contour, f->load);
  contour->add_option("--size", f->size, "Images are resized to this side (as the model was trained)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  contour->add_flag("--grayscale", f->grayscale, "Read the images as one channel");
  contour->add_option("--batch-size", f->batch_size, "Batch size")->check(CLI::PositiveNumber)->capture_default_str();
  contour->callback([f, &g] {
    apply_globals(g);
    const nlohmann::json config = {{"model", f->model}, {"sets", f->sets}, {"size", f->size}, {"grayscale", f->grayscale}};
    record_run(g, "pitfalls contour", config, [&](Store& store, int64_t run) {
      const ClassifierPtr model = load_classifier(f->model, f->load);
      model->set_training(false);
      std::vector<std::vector<std::string>> rows;
      nlohmann::json out = nlohmann::json::array();
      for (const std::string& set : f->sets) {
        const auto data = std::make_shared<ImageFolder>(set, ImageTransform{f->size, f->size, f->grayscale});
        if (data->class_names() != std::vector<std::string>{"closed", "open"})
          throw InvalidArgument("pitfalls contour: '" + set + "' must hold exactly the class folders closed/ and open/");
        check_fits(*model, *data);  // a 2-class model (closed, open)
        std::vector<double> scores;
        std::vector<int64_t> labels;
        torch::NoGradGuard no_grad;
        for (int64_t start = 0; start < data->size(); start += f->batch_size) {
          std::vector<int64_t> indices;
          for (int64_t i = start; i < std::min(data->size(), start + f->batch_size); ++i) indices.push_back(i);
          const Batch batch = data->get_batch(indices);
          const torch::Tensor logits = model->forward(batch.x).to(torch::kFloat64);
          const torch::Tensor score = (logits.select(1, 1) - logits.select(1, 0)).contiguous();  // open vs closed
          for (int64_t i = 0; i < score.size(0); ++i) {
            scores.push_back(score[i].item<double>());
            labels.push_back(batch.y[i].item<int64_t>());
          }
        }
        const evaluation::CriterionAccuracy c = evaluation::criterion_accuracy(scores, labels);
        const std::string name = std::filesystem::path(set).filename().string();
        const auto n = static_cast<int64_t>(scores.size());
        store.add_results(run, {{f->model, name, {{"criterion", "zero"}}, "accuracy", c.at_zero, n},
                                {f->model, name, {{"criterion", "optimised"}, {"threshold", c.threshold}}, "accuracy",
                                 c.optimised, n}});
        rows.push_back({name, std::to_string(n), fixed(c.at_zero, 4), fixed(c.optimised, 4), fixed(c.threshold, 3)});
        out.push_back({{"set", name}, {"images", n}, {"accuracy", c.at_zero}, {"accuracy_optimised", c.optimised},
                       {"threshold", c.threshold}});
        log_info(name, ": ", c.at_zero, " at threshold 0, ", c.optimised, " at the optimised criterion");
      }
      if (g.json)
        print_json({{"run", run}, {"model", f->model}, {"sets", out}});
      else
        print_table({"set", "images", "accuracy (threshold 0)", "accuracy (optimised criterion)", "criterion"}, rows);
    });
  });
}

}  // namespace robustlab::cli
