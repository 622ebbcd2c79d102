// Shared CLI pieces (see common.h).
#include "common.h"

#include <cstdio>
#include <iostream>
#include <sstream>
#include <thread>

#include "robustlab/core/error.h"
#include "robustlab/core/log.h"
#include "robustlab/core/allocator.h"
#include "robustlab/core/environment.h"
#include "robustlab/core/parallel.h"
#include "robustlab/core/random.h"
#include "robustlab/models/device.h"

namespace robustlab::cli {

void add_global_flags(CLI::App& app, Globals& g) {
  app.add_option("--db", g.db, "Results database (SQLite)")->capture_default_str();
  app.add_option("--seed", g.seed, "Seed for every random source")->capture_default_str();
  app.add_option("--threads", g.threads, "Threads (default: OMP_NUM_THREADS, else the cores shared by the ranks here)")->check(CLI::PositiveNumber);
  app.add_option("--device", g.device, "Where models run: cpu, cuda or cuda:N (CUDA needs a CUDA LibTorch build)")
      ->capture_default_str();
  app.add_option("--world-size", g.distributed.world_size,
                 "Sharded commands: the number of ranks (default: torchrun's or Slurm's environment)")
      ->check(CLI::Range(1, 65536));
  app.add_option("--rank", g.distributed.rank, "Sharded commands: this process's rank")->check(CLI::NonNegativeNumber);
  app.add_option("--master", g.distributed.master, "Sharded commands: HOST:PORT of rank 0's rendezvous store");
  app.add_flag("-v,--verbose", g.verbose, "Log debug messages");
  app.add_flag("-q,--quiet", g.quiet, "Only log errors; no progress bars");
  app.add_flag("--json", g.json, "Print results as JSON on stdout");
}

namespace {

/// Without --threads: OMP_NUM_THREADS when set (robustlab launch and torchrun set 1 per rank), else
/// the cores shared among the ranks on this machine (LOCAL_WORLD_SIZE), else every core. Several
/// ranks each taking every core make libgomp's spinning threads fight (measured 8x slower).
int default_threads() {
  const auto positive = [](const char* name) {
    const char* v = std::getenv(name);
    const int n = v != nullptr ? std::atoi(v) : 0;
    return n > 0 ? n : 0;
  };
  if (const int omp = positive("OMP_NUM_THREADS")) return omp;
  const int cores = std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  const int ranks = positive("LOCAL_WORLD_SIZE");
  return std::max(1, ranks > 0 ? cores / ranks : cores);
}

}  // namespace

void apply_globals(const Globals& g) {
  set_log_level(g.quiet ? LogLevel::kError : g.verbose ? LogLevel::kDebug : LogLevel::kInfo);
  seed_all(g.seed);
  set_threads(g.threads > 0 ? g.threads : default_threads());
  set_default_device(parse_device(g.device));
  keep_freed_memory();
  warn_about_blas();
}

std::optional<distributed::DistributedOptions> distributed_options(const Globals& g) {
  return distributed::resolve_options(g.distributed, distributed::options_from_environment());
}

void add_dataset_flags(CLI::App& cmd, DatasetOptions& o, const std::string& default_split) {
  o.split = default_split;
  cmd.add_option("--dataset", o.spec,
                 "fashion-mnist, a folder of IDX files, an image folder (root/<class>/<image>) or a "
                 ".pt file with {x, y}")
      ->capture_default_str();
  cmd.add_option("--split", o.split, "train or test (fashion-mnist and IDX folders)")
      ->check(CLI::IsMember({"train", "test"}))
      ->capture_default_str();
  cmd.add_option("--limit", o.subset.limit, "Use at most this many examples")->check(CLI::PositiveNumber);
  cmd.add_option("--offset", o.subset.offset, "Skip this many examples first")->check(CLI::NonNegativeNumber);
  cmd.add_flag("--sample", o.subset.sample, "Draw --limit examples at random (by --seed) instead of the first ones");
  cmd.add_option("--resize", o.transform.resize, "Image folders: short side after resizing (0: keep)")
      ->capture_default_str();
  cmd.add_option("--crop", o.transform.crop, "Image folders: centre crop side (0: none)")->capture_default_str();
  cmd.add_flag("--grayscale", o.transform.grayscale, "Image folders: read images as one channel");
  cmd.add_option("--class-list", o.class_list,
                 "Image folders: file with one class folder name per line, in label order (e.g. ImageNet WNIDs)");
}

nlohmann::json dataset_config(const DatasetOptions& o) {
  return {{"spec", o.spec},
          {"split", o.split},
          {"limit", o.subset.limit},
          {"offset", o.subset.offset},
          {"sample", o.subset.sample},
          {"resize", o.transform.resize},
          {"crop", o.transform.crop},
          {"grayscale", o.transform.grayscale},
          {"class_list", o.class_list ? o.class_list->string() : ""}};
}

void add_load_flags(CLI::App& cmd, LoadOptions& o) {
  cmd.add_option("--mean", o.normalization.mean, "TorchScript models: per-channel input mean")->delimiter(',');
  cmd.add_option("--std", o.normalization.std, "TorchScript models: per-channel input std")->delimiter(',');
}

void record_run(const Globals& g, const std::string& command, nlohmann::json config,
                const std::function<void(Store&, int64_t)>& body) {
  Store store(g.db);
  if (const int stale = store.mark_stale_runs(); stale > 0)
    log_warning(stale, " run", stale == 1 ? "" : "s", " whose process ended without finishing (killed?) marked failed");
  config["argv"] = g.argv;
  config["threads"] = threads();
  const int64_t run = store.begin_run(command, config, g.seed);
  log_debug("run ", run, " recorded in ", g.db);
  try {
    body(store, run);
  } catch (const std::exception& e) {
    try {
      store.finish_run(run, RunStatus::kFailed, first_line(e.what()));
    } catch (const std::exception& also) {  // a full disk, say: the next command marks the run stale
      log_warning("run ", run, " could not be marked failed (", first_line(also.what()), ")");
    }
    throw;
  }
  store.finish_run(run, RunStatus::kCompleted);
}

void record_run_ranked(const Globals& g, bool main_rank, const std::string& command, nlohmann::json config,
                       const std::function<void(Store&, int64_t)>& body) {
  if (main_rank) {
    record_run(g, command, std::move(config), body);
    return;
  }
  Store scratch(":memory:");
  const int64_t run = scratch.begin_run(command, config, g.seed);
  std::ostringstream discard;
  std::streambuf* const saved = std::cout.rdbuf(discard.rdbuf());
  try {
    body(scratch, run);
  } catch (...) {
    std::cout.rdbuf(saved);
    throw;
  }
  std::cout.rdbuf(saved);
}

void print_table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width(header.size());
  for (size_t c = 0; c < header.size(); ++c) width[c] = header[c].size();
  for (const auto& row : rows) {
    for (size_t c = 0; c < row.size() && c < width.size(); ++c) width[c] = std::max(width[c], row[c].size());
  }
  auto line = [&](const std::vector<std::string>& cells) {
    std::string out;
    for (size_t c = 0; c < width.size(); ++c) {
      const std::string cell = c < cells.size() ? cells[c] : "";
      out += cell + std::string(width[c] - cell.size() + (c + 1 < width.size() ? 2 : 0), ' ');
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    std::cout << out << "\n";
  };
  line(header);
  std::vector<std::string> rule;
  for (size_t w : width) rule.push_back(std::string(w, '-'));
  line(rule);
  for (const auto& row : rows) line(row);
  std::cout.flush();
}

void print_json(const nlohmann::json& value) { std::cout << value.dump(2) << std::endl; }

std::string comma_list(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

std::string fixed(double value, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, value);
  return buf;
}

std::vector<ResultRow> ce_rows(const std::string& model, const std::string& dataset, const nlohmann::json& condition,
                               const evaluation::CeSummary& summary, int64_t count) {
  std::vector<ResultRow> rows = {{model, dataset, condition, "mce", summary.mce, count},
                                 {model, dataset, condition, "relative_mce", summary.relative_mce, count}};
  for (const auto& [corruption, ce] : summary.ce) {
    nlohmann::json c = condition;
    c["corruption"] = corruption;
    rows.push_back({model, dataset, c, "ce", ce, count});
  }
  return rows;
}

void print_corruption_table(const std::vector<CorruptionColumn>& columns) {
  std::vector<std::string> header = {"corruption"};
  for (const auto& c : columns) header.push_back(c.method);
  std::vector<std::vector<std::string>> rows;
  for (const auto& [name, error] : columns.front().summary.mean_error) {
    std::vector<std::string> row = {name};
    for (const auto& c : columns) row.push_back(fixed(c.summary.mean_error.at(name), 4));
    rows.push_back(row);
  }
  auto add = [&](const std::string& label, auto value) {
    std::vector<std::string> row = {label};
    for (const auto& c : columns) row.push_back(fixed(value(c.summary), 4));
    rows.push_back(row);
  };
  add("clean", [](const evaluation::CeSummary& s) { return s.clean_error; });
  add("mean", [](const evaluation::CeSummary& s) {
    double sum = 0;
    for (const auto& [name, e] : s.mean_error) sum += e;
    return s.mean_error.empty() ? 0.0 : sum / static_cast<double>(s.mean_error.size());
  });
  add("mCE", [](const evaluation::CeSummary& s) { return s.mce; });
  add("relative mCE", [](const evaluation::CeSummary& s) { return s.relative_mce; });
  print_table(header, rows);
}

std::optional<RunRecord> interrupted_run(const Store& store, const std::string& command, const nlohmann::json& config) {
  auto settings = [](nlohmann::json c) {
    for (const char* key : {"argv", "threads", "resumed_from"}) c.erase(key);
    return c;
  };
  const nlohmann::json wanted = settings(config);
  const std::vector<RunRecord> runs = store.runs();
  for (auto r = runs.rbegin(); r != runs.rend(); ++r) {
    if (r->command != command || settings(r->config) != wanted) continue;
    if (r->status == RunStatus::kCompleted) return std::nullopt;  // the newest such run finished
    return *r;
  }
  return std::nullopt;
}

std::vector<evaluation::CorruptionError> stored_corruption_errors(const Store& store, int64_t run) {
  std::vector<evaluation::CorruptionError> errors;
  for (const auto& r : store.results({.run_id = run, .metric = "error"}))
    if (r.row.condition.contains("corruption"))
      errors.push_back({r.row.condition["corruption"].get<std::string>(), r.row.condition.value("severity", 0),
                        r.row.value, r.row.count});
  return errors;
}

void log_epoch(const EpochStats& s) {
  log_info("epoch ", s.epoch, ": loss ", fixed(s.loss, 4), ", train accuracy ", fixed(s.train_accuracy, 4), ", ",
           fixed(s.images_per_second, 0), " images/s");
}

std::string model_or_default(const std::string& model) {
  if (!model.empty()) return model;
  return default_model({}, log_epoch).checkpoint.string();
}

}  // namespace robustlab::cli
