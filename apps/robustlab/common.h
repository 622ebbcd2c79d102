// Shared pieces of the CLI: global flags, the dataset and subset flags every command takes,
// recording a command as a run in the store, and printing tables or JSON. The CLI only parses
// flags into the library's options structs and calls the library.
#pragma once

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "robustlab/data/open.h"
#include "robustlab/distributed/distributed.h"
#include "robustlab/evaluation/corruptions.h"
#include "robustlab/models/default_model.h"
#include "robustlab/models/load.h"
#include "robustlab/store/store.h"

namespace robustlab::cli {

/// Flags every command understands.
struct Globals {
  std::string db = default_db_path().string();
  uint64_t seed = 0;
  int threads = 0;  ///< 0: all cores
  std::string device = "cpu";  ///< cpu, cuda or cuda:N: where models are loaded and built
  distributed::DistributedFlags distributed;  ///< --world-size, --rank, --master
  bool verbose = false;
  bool quiet = false;
  bool json = false;
  std::string argv;  ///< the command line, recorded with each run
};

/// Adds --db, --seed, --threads, --verbose, --quiet and --json to `app`.
void add_global_flags(CLI::App& app, Globals& globals);
/// Applies log level, seed, thread count and device, and warns once about a slow BLAS.
void apply_globals(const Globals& globals);
/// The ranks this process is one of: --world-size, --rank and --master over torchrun's or Slurm's
/// environment; nullopt for a single process.
std::optional<distributed::DistributedOptions> distributed_options(const Globals& globals);

/// Adds --dataset, --split, --limit, --offset, --sample, --resize, --crop, --grayscale and
/// --class-list, filling `options`.
void add_dataset_flags(CLI::App& cmd, DatasetOptions& options, const std::string& default_split);
nlohmann::json dataset_config(const DatasetOptions& options);

/// Adds --mean and --std for TorchScript models that expect normalised input.
void add_load_flags(CLI::App& cmd, LoadOptions& options);

/// Records `body` as a run of `command` in the store: begins the run, calls body(store, run_id),
/// and marks the run completed, or failed (with the error) when body throws, then rethrows.
void record_run(const Globals& globals, const std::string& command, nlohmann::json config,
                const std::function<void(Store&, int64_t)>& body);

/// record_run for one rank of a command launched on several: rank 0 (`main_rank`) records the run;
/// the other ranks run the same body against a scratch store in memory with standard output
/// silenced, so that every rank takes part in the same collectives and only rank 0 writes and prints.
void record_run_ranked(const Globals& globals, bool main_rank, const std::string& command, nlohmann::json config,
                       const std::function<void(Store&, int64_t)>& body);

/// The newest run of `command` whose configuration equals `config` (ignoring argv, threads and
/// resumed_from) and that did not complete — an interrupted run that this one can resume.
std::optional<RunRecord> interrupted_run(const Store& store, const std::string& command, const nlohmann::json& config);
/// The error per corruption and severity (and the clean error) that `run` stored.
std::vector<evaluation::CorruptionError> stored_corruption_errors(const Store& store, int64_t run);

/// Logs one training epoch of the default model.
void log_epoch(const EpochStats& stats);
/// `model` if given; otherwise the default model's checkpoint (`robustlab benchmark`'s model,
/// trained into the cache first if it is not there), so that commands run without --model.
std::string model_or_default(const std::string& model);

/// Prints an aligned text table to stdout.
void print_table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows);
/// Prints JSON to stdout (indented).
void print_json(const nlohmann::json& value);

/// One method's column of a corruption table.
struct CorruptionColumn {
  std::string method;
  evaluation::CeSummary summary;
};
/// The store rows of a CE summary: mce and relative_mce under `condition`, and ce per corruption
/// (condition plus the corruption).
std::vector<ResultRow> ce_rows(const std::string& model, const std::string& dataset, const nlohmann::json& condition,
                               const evaluation::CeSummary& summary, int64_t count);
/// Prints mean error per corruption (rows) for each method (columns), then clean error, mean
/// error, mCE and relative mCE.
void print_corruption_table(const std::vector<CorruptionColumn>& columns);

/// A number with `digits` decimals.
std::string fixed(double value, int digits);
/// "a, b, c": names for help texts and messages.
std::string comma_list(const std::vector<std::string>& items);

/// Subcommands, one file each.
void add_train_command(CLI::App& app, Globals& globals);
void add_eval_command(CLI::App& app, Globals& globals);
void add_results_command(CLI::App& app, Globals& globals);
void add_benchmark_command(CLI::App& app, Globals& globals);
void add_human_command(CLI::App& app, Globals& globals);
void add_attack_command(CLI::App& app, Globals& globals);
void add_corrupt_command(CLI::App& app, Globals& globals);
void add_report_command(CLI::App& app, Globals& globals);
void add_serve_command(CLI::App& app, Globals& globals);
void add_info_command(CLI::App& app, Globals& globals);
void add_identify_command(CLI::App& app, Globals& globals);
void add_disentanglement_command(CLI::App& app, Globals& globals);
void add_slowvae_command(CLI::App& app, Globals& globals);
void add_objects_command(CLI::App& app, Globals& globals);
void add_recognition_gap_command(CLI::App& app, Globals& globals);
void add_stimuli_command(CLI::App& app, Globals& globals);
void add_pitfalls_command(CLI::App& app, Globals& globals);
void add_experiment_command(CLI::App& app, Globals& globals);
void add_launch_command(CLI::App& app, Globals& globals);

}  // namespace robustlab::cli
