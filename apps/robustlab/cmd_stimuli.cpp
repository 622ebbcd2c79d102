// robustlab stimuli: the case-study stimuli of Funke et al. 2021 written as image folders with
// labels — `stimuli contour`: the closed-contour training set or a generalisation set.
#include <iostream>

#include "common.h"

#include "robustlab/core/error.h"
#include "robustlab/core/log.h"
#include "robustlab/core/progress.h"
#include "robustlab/stimuli/contours.h"

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
  std::string names;
  for (const auto& n : stimuli::contour_set_names()) names += (names.empty() ? "" : ", ") + n;
  auto* contour = cmd->add_subcommand(
      "contour",
      "Closed and open contours among flankers on a grey background, 256x256 PNGs in <output>/closed and "
      "<output>/open with labels.csv; resumes an interrupted run");
  contour->add_option("--set", f->set, "Which set: " + names)->capture_default_str();
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
}

}  // namespace robustlab::cli
