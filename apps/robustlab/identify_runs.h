// The contrastive-identifiability experiments as the CLI stores them, shared by `robustlab
// identify` and the identifiability section of `robustlab benchmark`: the curve points and final
// scores of one experiment as store rows, and the synthetic table's rows over several seeds.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "robustlab/representation/identify.h"
#include "robustlab/store/store.h"

namespace robustlab::cli {

/// r2, r2_sd, mcc, mcc_sd, g_r2, g_mcc and train_seconds of one experiment under `condition`.
std::vector<ResultRow> identify_result_rows(const std::string& model, const std::string& dataset,
                                            const nlohmann::json& condition, const representation::IdentifyResult& r,
                                            int64_t count);
/// curve_loss, curve_r2 and curve_mcc at one logged step (condition plus the step).
std::vector<ResultRow> identify_curve_rows(const std::string& model, const std::string& dataset,
                                           const nlohmann::json& condition, const representation::CurvePoint& p,
                                           int64_t count);

/// One row of the synthetic table over its seeds: mean and sd (ddof 0) over the seeds of each
/// seed's final R² and MCC (with one seed, the sd over its evaluation batches).
struct SyntheticSummary {
  representation::SyntheticRow row;
  int seeds = 0;
  double r2 = 0, r2_sd = 0, mcc = 0, mcc_sd = 0;
};

/// Runs every row for seeds row.seed, row.seed + 1, ..., storing each seed's curve and scores
/// under {row, theory_matching, seed} and the summary under {row, theory_matching} as they come.
/// Seeds whose scores `done` holds (metric -> value, keyed by "row|seed") are taken, not run.
std::vector<SyntheticSummary> run_synthetic_rows(Store& store, int64_t run, const std::vector<representation::SyntheticRow>& rows,
                                                 int seeds, const std::map<std::string, std::map<std::string, double>>& done);
/// "row|seed" -> stored final scores of a run's synthetic-table seeds (what run_synthetic_rows takes).
std::map<std::string, std::map<std::string, double>> stored_synthetic_seeds(const Store& store, int64_t run);

/// Prints the table (R² and MCC in percent, the published value, whether the theory holds).
void print_synthetic_table(const std::vector<SyntheticSummary>& summaries);
nlohmann::json synthetic_json(const std::vector<SyntheticSummary>& summaries);

}  // namespace robustlab::cli
