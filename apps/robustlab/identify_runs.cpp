// Storing and summarising contrastive-identifiability experiments (see identify_runs.h).
#include "identify_runs.h"

#include <cmath>

#include "common.h"
#include "robustlab/core/log.h"
#include "robustlab/core/paths.h"
#include "robustlab/core/progress.h"

namespace robustlab::cli {
namespace {

namespace rep = robustlab::representation;

constexpr const char* kFinal[] = {"r2", "r2_sd", "mcc", "mcc_sd", "g_r2", "g_mcc", "train_seconds"};

std::string key(const std::string& row, int64_t seed) { return row + "|" + std::to_string(seed); }

std::pair<double, double> mean_sd(const std::vector<double>& v) {
  double mean = 0, var = 0;
  for (double x : v) mean += x;
  mean /= static_cast<double>(v.size());
  for (double x : v) var += (x - mean) * (x - mean);
  return {mean, std::sqrt(var / static_cast<double>(v.size()))};
}

std::string percent(double v) { return std::isnan(v) ? "-" : fixed(100 * v, 2); }

}  // namespace

std::vector<ResultRow> identify_result_rows(const std::string& model, const std::string& dataset,
                                            const nlohmann::json& condition, const rep::IdentifyResult& r, int64_t count) {
  const double values[] = {r.r2_mean, r.r2_sd, r.mcc_mean, r.mcc_sd, r.g_r2, r.g_mcc, r.seconds};
  std::vector<ResultRow> rows;
  for (size_t k = 0; k < std::size(kFinal); ++k) rows.push_back({model, dataset, condition, kFinal[k], values[k], count});
  return rows;
}

std::vector<ResultRow> identify_curve_rows(const std::string& model, const std::string& dataset,
                                           const nlohmann::json& condition, const rep::CurvePoint& p, int64_t count) {
  nlohmann::json c = condition;
  c["step"] = p.step;
  return {{model, dataset, c, "curve_loss", p.loss, count},
          {model, dataset, c, "curve_r2", p.r2, count},
          {model, dataset, c, "curve_mcc", p.mcc, count}};
}

std::map<std::string, std::map<std::string, double>> stored_synthetic_seeds(const Store& store, int64_t run) {
  std::map<std::string, std::map<std::string, double>> out;
  for (const auto& r : store.results({.run_id = run})) {
    const auto& c = r.row.condition;
    if (c.contains("row") && c.contains("seed") && !c.contains("step"))
      out[key(c["row"].get<std::string>(), c["seed"].get<int64_t>())][r.row.metric] = r.row.value;
  }
  return out;
}

std::vector<SyntheticSummary> run_synthetic_rows(Store& store, int64_t run, const std::vector<rep::SyntheticRow>& rows,
                                                 int seeds, const std::map<std::string, std::map<std::string, double>>& done) {
  std::vector<SyntheticSummary> out;
  for (const auto& row : rows) {
    const nlohmann::json condition = {{"row", row.name}, {"theory_matching", row.theory_matching}};
    std::vector<double> r2, mcc;
    rep::IdentifyResult last;
    for (int s = 0; s < seeds; ++s) {
      rep::IdentifyOptions o = row.options;
      o.seed = row.options.seed + static_cast<uint64_t>(s);
      o.log_every = std::max<int64_t>(1, o.steps / 10);
      o.cache_dir = default_cache_dir();
      nlohmann::json c = condition;
      c["seed"] = o.seed;
      const auto stored = done.find(key(row.name, static_cast<int64_t>(o.seed)));
      if (stored != done.end() && stored->second.size() == std::size(kFinal)) {
        last.r2_mean = stored->second.at("r2");
        last.r2_sd = stored->second.at("r2_sd");
        last.mcc_mean = stored->second.at("mcc");
        last.mcc_sd = stored->second.at("mcc_sd");
        last.g_r2 = stored->second.at("g_r2");
        last.g_mcc = stored->second.at("g_mcc");
        last.seconds = stored->second.at("train_seconds");
        log_info(row.name, ", seed ", o.seed, ": taken from the interrupted run");
      } else {
        Progress progress(row.name + " (seed " + std::to_string(o.seed) + ")", o.steps);
        last = rep::run_identify(
            o, [&](const rep::CurvePoint& p) { store.add_results(run, identify_curve_rows("encoder", "synthetic", c, p, o.log_samples)); },
            &progress);
        progress.finish();
      }
      store.add_results(run, identify_result_rows("encoder", "synthetic", c, last, o.eval_batches * o.batch_size));
      r2.push_back(last.r2_mean);
      mcc.push_back(last.mcc_mean);
    }
    SyntheticSummary summary{row, seeds};
    std::tie(summary.r2, summary.r2_sd) = mean_sd(r2);
    std::tie(summary.mcc, summary.mcc_sd) = mean_sd(mcc);
    if (seeds == 1) {
      summary.r2_sd = last.r2_sd;
      summary.mcc_sd = last.mcc_sd;
    }
    const int64_t count = seeds * row.options.eval_batches * row.options.batch_size;
    store.add_results(run, {{"encoder", "synthetic", condition, "r2", summary.r2, count},
                            {"encoder", "synthetic", condition, "r2_sd", summary.r2_sd, count},
                            {"encoder", "synthetic", condition, "mcc", summary.mcc, count},
                            {"encoder", "synthetic", condition, "mcc_sd", summary.mcc_sd, count}});
    out.push_back(summary);
  }
  return out;
}

void print_synthetic_table(const std::vector<SyntheticSummary>& summaries) {
  std::vector<std::vector<std::string>> table;
  for (const auto& s : summaries) {
    const std::string published =
        std::isnan(s.row.published) ? "-" : (s.row.metric == "r2" ? "R² " : "MCC ") + fixed(s.row.published, 2);
    table.push_back({s.row.name, percent(s.r2) + " ± " + percent(s.r2_sd), percent(s.mcc) + " ± " + percent(s.mcc_sd),
                     published, s.row.theory_matching ? "yes" : "no"});
  }
  print_table({"generating process → model", "R² (%)", "MCC (%)", "published (%)", "assumptions met"}, table);
}

nlohmann::json synthetic_json(const std::vector<SyntheticSummary>& summaries) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& s : summaries)
    out.push_back({{"row", s.row.name}, {"seeds", s.seeds}, {"r2", s.r2}, {"r2_sd", s.r2_sd}, {"mcc", s.mcc},
                   {"mcc_sd", s.mcc_sd}, {"published_metric", s.row.metric},
                   {"published", std::isnan(s.row.published) ? nlohmann::json() : nlohmann::json(s.row.published)},
                   {"theory_matching", s.row.theory_matching}});
  return out;
}

}  // namespace robustlab::cli
