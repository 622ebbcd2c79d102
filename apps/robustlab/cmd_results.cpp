// robustlab results: lists runs and exports stored results as a table, CSV or JSON.
#include <iostream>

#include "common.h"
#include "robustlab/core/error.h"
#include "robustlab/core/paths.h"

namespace robustlab::cli {

void add_results_command(CLI::App& app, Globals& g) {
  struct Flags {
    std::optional<int64_t> run;
    std::optional<std::string> metric, model, command;
    std::string format = "table";
    std::string output;
    bool runs = false;
  };
  auto f = std::make_shared<Flags>();
  auto* cmd = app.add_subcommand("results", "List runs, or export stored results as a table, CSV or JSON");
  cmd->add_flag("--runs", f->runs, "List the runs instead of their results");
  cmd->add_option("--run", f->run, "Only this run");
  cmd->add_option("--metric", f->metric, "Only this metric");
  cmd->add_option("--model", f->model, "Only this model");
  cmd->add_option("--command", f->command, "Only runs of this command (train, eval, benchmark, ...)");
  cmd->add_option("--format", f->format, "table, csv or json")
      ->check(CLI::IsMember({"table", "csv", "json"}))
      ->capture_default_str();
  cmd->add_option("-o,--output", f->output, "Write to this file instead of stdout");
  cmd->callback([f, &g] {
    apply_globals(g);
    if (!std::filesystem::exists(g.db)) throw IoError("results: database '" + g.db + "' does not exist");
    Store store(g.db);
    const std::string format = g.json ? "json" : f->format;
    if (format == "table" && !f->output.empty()) {
      throw InvalidArgument("results: -o writes CSV or JSON; add --format csv or --format json");
    }
    if (f->run && !store.run(*f->run)) {
      throw InvalidArgument("results: run " + std::to_string(*f->run) + " does not exist in '" + g.db + "'");
    }
    std::string text;
    if (f->runs) {
      const auto runs = store.runs();
      if (format == "table") {
        std::vector<std::vector<std::string>> rows;
        for (const auto& r : runs) {
          rows.push_back({std::to_string(r.id), r.command, to_string(r.status), r.started_at, r.ended_at,
                          std::to_string(r.seed), r.message});
        }
        print_table({"run", "command", "status", "started", "ended", "seed", "message"}, rows);
        return;
      }
      nlohmann::json out = nlohmann::json::array();
      for (const auto& r : runs) out.push_back(run_to_json(r));
      if (format == "csv") throw InvalidArgument("results: --runs supports --format table or json, not csv");
      text = out.dump(2) + "\n";
    } else {
      const auto results = store.results({f->run, f->metric, f->model, f->command});
      if (format == "table") {
        std::vector<std::vector<std::string>> rows;
        for (const auto& r : results) {
          rows.push_back({std::to_string(r.run_id), r.row.model, r.row.dataset, r.row.condition.dump(), r.row.metric,
                          fixed(r.row.value, 4), std::to_string(r.row.count)});
        }
        print_table({"run", "model", "dataset", "condition", "metric", "value", "n"}, rows);
        return;
      }
      text = format == "csv" ? results_to_csv(results) : results_to_json(results).dump(2) + "\n";
    }
    if (f->output.empty()) {
      std::cout << text;
    } else {
      write_text_file(f->output, text);
    }
  });
}

}  // namespace robustlab::cli
