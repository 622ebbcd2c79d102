// robustlab: the command-line front end. Parses flags, calls the library, and maps every error to
// one line on stderr and a non-zero exit code (see robustlab/core/error.h for the codes).
#include <c10/util/Exception.h>

#include <csignal>
#include <iostream>

#include "common.h"
#include "robustlab/core/error.h"
#include "robustlab/core/environment.h"

namespace {

void on_signal(int) { robustlab::request_interrupt(); }

std::string joined_argv(int argc, char** argv) {
  std::string out;
  for (int i = 0; i < argc; ++i) out += (i ? " " : "") + std::string(argv[i]);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace robustlab;
  reexec_with_better_openblas_core(argv);  // before anything runs: the kernels are chosen at load time
  CLI::App app{"robustlab: robustness and representation research on vision models.\n"
               "With no flags, every command runs on Fashion-MNIST (Debian's dataset-fashion-mnist)."};
  app.set_version_flag("--version", std::function<std::string()>([] { return describe(environment()); }));
  app.require_subcommand(1);
  app.fallthrough();
  cli::Globals globals;
  globals.argv = joined_argv(argc, argv);
  cli::add_global_flags(app, globals);
  cli::add_train_command(app, globals);
  cli::add_eval_command(app, globals);
  cli::add_results_command(app, globals);
  cli::add_benchmark_command(app, globals);
  cli::add_attack_command(app, globals);
  cli::add_corrupt_command(app, globals);
  cli::add_report_command(app, globals);
  cli::add_serve_command(app, globals);
  cli::add_human_command(app, globals);
  cli::add_info_command(app, globals);
  cli::add_identify_command(app, globals);
  cli::add_disentanglement_command(app, globals);
  cli::add_slowvae_command(app, globals);
  cli::add_objects_command(app, globals);
  cli::add_recognition_gap_command(app, globals);
  cli::add_stimuli_command(app, globals);
  cli::add_pitfalls_command(app, globals);
  cli::add_experiment_command(app, globals);
  cli::add_launch_command(app, globals);

  std::signal(SIGXFSZ, SIG_IGN);  // a file past RLIMIT_FSIZE: the write fails (EFBIG) and is reported, not a kill
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const Error& e) {
    std::cerr << "robustlab: error: " << e.what() << std::endl;
    return e.exit_code();
  } catch (const c10::Error& e) {
    std::cerr << "robustlab: error: " << first_line(e.what_without_backtrace()) << std::endl;
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "robustlab: error: " << first_line(e.what()) << std::endl;
    return 1;
  }
  return 0;
}
