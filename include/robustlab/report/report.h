// The HTML report: one self-contained page (inline SVG plots, a few lines of inline JavaScript for
// sortable tables and CSV downloads, no external URL) built from whatever the results store holds:
// runs, clean error per model, the corruption benchmark (error heatmap corruption x severity,
// mean error per corruption and method, mCE per adaptation method), adversarial robustness
// (robust accuracy against epsilon per attack and norm from the per-sample minimal norms, median
// norms), model-vs-human (benchmark table, error consistency per dataset, shape bias in the
// style of Geirhos et al. 2021, arXiv:2106.07411), contrastive identifiability (loss, R² and MCC
// curves, final scores) and disentanglement (SlowVAE/beta-VAE loss curves, the metrics table).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "robustlab/store/store.h"

namespace robustlab::report {

struct ReportOptions {
  std::optional<int64_t> run;  ///< only this run's results (all runs when empty)
  std::string title = "robustlab report";
  int refresh_seconds = 0;     ///< > 0: the page reloads itself (robustlab serve)
};

/// The report as one HTML document. An empty store, or a run that does not exist, gives a page
/// that says so (never an error).
std::string render_html(const Store& store, const ReportOptions& options = {});

/// Writes render_html() to `path` atomically (temporary name, then rename).
void write_report(const Store& store, const ReportOptions& options, const std::filesystem::path& path);

}  // namespace robustlab::report
