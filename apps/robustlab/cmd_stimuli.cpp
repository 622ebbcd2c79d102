// robustlab stimuli: the case-study stimuli of Funke et al. 2021 written as image folders with
// labels — `stimuli contour`: the closed-contour training set or a generalisation set; `stimuli svrt`:
// samples of the 23 SVRT problems.
#include <iostream>

#include "common.h"

#include "robustlab/core/error.h"
#include "robustlab/core/log.h"
#include "robustlab/core/progress.h"
#include "robustlab/stimuli/contours.h"
#include "robustlab/stimuli/svrt.h"

namespace robustlab::cli {

void add_stimuli_command(CLI::App& app, Globals& g) {
  auto* cmd = app.add_subcommand("stimuli", "Stimuli of the human-machine comparison case studies (Funke et al. 2021)");
  cmd->require_subcommand(1);
  struct Flags {
    std::string set = "training";
    std::string output;
    stimuli::ContourSetOptions options;
  };
  auto f = std::make_shared<Flags>();
  auto* contour = cmd->add_subcommand(
      "contour",
      "Closed and open contours among flankers on a grey background, 256x256 PNGs in <output>/closed and "
      "<output>/open with labels.csv; resumes an interrupted run");
  contour->add_option("--set", f->set, "Which set: " + comma_list(stimuli::contour_set_names()))->capture_default_str();
  contour->add_option("--repetitions", f->options.repetitions,
                      "Repetitions of the 7 polygon sizes (3-9 vertices, or the set's): 14 images each (the paper's "
                      "training set has 2000, its test sets 400)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  contour->add_option("--output", f->output, "Output folder (default: contours-<set>)");
  contour->add_option("--backgrounds", f->options.backgrounds,
                      "Image folder for the backgrounds (one image per pair, contrast scaled in Lab space); default: the "
                      "uniform grey");
  contour->add_option("--contrast", f->options.contrast,
                      "With --backgrounds: the contrast alpha in [0, 1] (the paper tests 0, .2, .4, .6, .8, 1); < 0: "
                      "random per pair, as for training")
      ->capture_default_str();
  contour->callback([f, &g] {
    apply_globals(g);
    f->options.set = stimuli::parse_contour_set(f->set);
    f->options.seed = g.seed;
    const std::string output = f->output.empty() ? "contours-" + f->set : f->output;
    log_info("writing ", f->options.repetitions * 14, " contour images (", f->set, ") to ", output);
    Progress progress("contours " + f->set, f->options.repetitions * 7);
    const int64_t written = stimuli::write_contour_set(output, f->options, [&](int64_t, int64_t) { progress.advance(); });
    progress.finish();
    if (g.json)
      print_json({{"set", f->set}, {"output", output}, {"images", f->options.repetitions * 14}, {"written", written}});
    else
      std::cout << "contours (" << f->set << "): " << f->options.repetitions * 14 << " images in " << output << " ("
                << written << " written now)\n";
  });

  struct SvrtFlags {
    std::vector<int> problems;
    int64_t samples = 1000;
    std::string output = "svrt";
  };
  auto s = std::make_shared<SvrtFlags>();
  auto* svrt = cmd->add_subcommand(
      "svrt",
      "Samples of the 23 SVRT problems (Fleuret et al. 2011), 128x128 PNGs in <output>/problem_<n>/{0,1} with "
      "labels.csv; resumes an interrupted run");
  svrt->add_option("--problems", s->problems, "Problems 1-23, comma-separated (default: all)")
      ->delimiter(',')
      ->check(CLI::Range(1, stimuli::kSvrtProblems));
  svrt->add_option("--samples", s->samples, "Samples per problem, half of each class (the reference: 28000 train, "
                                            "2800 validation, 5600 test)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  svrt->add_option("--output", s->output, "Output folder")->capture_default_str();
  svrt->callback([s, &g] {
    apply_globals(g);
    if (s->problems.empty())
      for (int p = 1; p <= stimuli::kSvrtProblems; ++p) s->problems.push_back(p);
    nlohmann::json out = nlohmann::json::array();
    for (const int problem : s->problems) {
      const std::filesystem::path folder = std::filesystem::path(s->output) / ("problem_" + std::to_string(problem));
      Progress progress("svrt problem " + std::to_string(problem), s->samples);
      const int64_t written =
          stimuli::write_svrt_set(folder, {problem, s->samples, g.seed}, [&](int64_t, int64_t) { progress.advance(); });
      progress.finish();
      const char* group = stimuli::svrt_is_same_different(problem) ? "same-different" : "spatial";
      out.push_back({{"problem", problem}, {"group", group}, {"output", folder.string()}, {"written", written}});
      if (!g.json)
        std::cout << "svrt problem " << problem << " (" << group << "): " << s->samples << " images in "
                  << folder.string() << " (" << written << " written now)\n";
    }
    if (g.json) print_json({{"samples", s->samples}, {"problems", out}});
  });
}

}  // namespace robustlab::cli
