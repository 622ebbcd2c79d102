// robustlab info: what this robustlab runs on (LibTorch, the BLAS actually loaded, oneDNN,
// threads), as `--version` prints it too and as the store records it with every run.
#include <iostream>

#include "common.h"
#include "robustlab/core/environment.h"

namespace robustlab::cli {

void add_info_command(CLI::App& app, Globals& g) {
  auto* cmd = app.add_subcommand("info", "Show the versions, the BLAS and the threads robustlab runs with");
  cmd->callback([&g] {
    apply_globals(g);
    const Environment env = environment();
    if (g.json) {
      print_json(to_json(env));
    } else {
      std::cout << describe(env) << std::endl;
    }
  });
}

}  // namespace robustlab::cli
