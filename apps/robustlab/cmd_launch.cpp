// robustlab launch: N ranks of a command on this machine with torchrun's environment (see
// distributed/launch.h), for `eval` on several processes without a cluster, and for tests.
#include "common.h"

#include "robustlab/distributed/launch.h"

namespace robustlab::cli {

void add_launch_command(CLI::App& app, Globals& g) {
  struct Flags {
    distributed::LaunchOptions launch;
    std::vector<std::string> command;
    int grace = 10;
  };
  auto f = std::make_shared<Flags>();
  auto* cmd = app.add_subcommand(
      "launch", "Run a command as N ranks on this machine (like torchrun --standalone): robustlab launch --nproc 2 -- "
                "robustlab eval ...");
  cmd->add_option("--nproc", f->launch.nproc, "Ranks to start")->check(CLI::Range(1, 1024))->capture_default_str();
  cmd->add_option("--master-port", f->launch.master_port, "Rendezvous port on 127.0.0.1 (0: a free one)")
      ->check(CLI::Range(0, 65535))
      ->capture_default_str();
  cmd->add_option("--grace", f->grace, "Seconds the other ranks get to stop when one fails, before SIGKILL")
      ->check(CLI::Range(1, 3600))
      ->capture_default_str();
  cmd->add_option("command", f->command, "The command and its arguments, after --")->required()->expected(-1);
  cmd->callback([f, &g] {
    apply_globals(g);
    f->launch.grace = std::chrono::seconds(f->grace);
    distributed::launch_local(f->launch, f->command);
  });
}

}  // namespace robustlab::cli
