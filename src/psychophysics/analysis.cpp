// See analysis.h.
#include "robustlab/psychophysics/analysis.h"

#include <algorithm>
#include <cmath>
#include <random>

#include "robustlab/core/csv.h"
#include "robustlab/core/error.h"
#include "robustlab/core/paths.h"
#include "robustlab/core/random.h"

namespace robustlab::psychophysics {
namespace {

bool parse_bool(const std::string& s, const std::string& where) {
  if (s == "True" || s == "true" || s == "1") return true;
  if (s == "False" || s == "false" || s == "0") return false;
  throw FormatError(where + "expected True or False, found '" + s + "'");
}

double parse_double(const std::string& s, const std::string& where) {
  size_t used = 0;
  double v = 0;
  try {
    v = std::stod(s, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != s.size() || s.empty()) throw FormatError(where + "expected a number, found '" + s + "'");
  return v;
}

}  // namespace

std::vector<TrialRecord> read_published_trials(const std::filesystem::path& path) {
  const std::string text = read_file(path);
  std::vector<std::string> lines;
  for (size_t start = 0; start < text.size();) {
    const size_t end = std::min(text.find('\n', start), text.size());
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  if (lines.empty()) throw FormatError("experiment: '" + path.string() + "' is empty");
  const std::vector<std::string> header = split_csv_line(lines[0]);
  auto column = [&](const std::string& name, bool required) -> int {
    for (size_t i = 0; i < header.size(); ++i) {
      std::string h = header[i];
      std::transform(h.begin(), h.end(), h.begin(), [](unsigned char c) { return std::tolower(c); });
      if (h == name) return static_cast<int>(i);
    }
    if (required) throw FormatError("experiment: '" + path.string() + "' has no column '" + name + "'");
    return -1;
  };
  const int subject = column("subject_id", true), instr = column("instr_type", true), type = column("trial_type", true),
            is_catch = column("catch_trial", true), correct = column("correct", true), rt = column("rt", true),
            layer = column("layer", true), confidence = column("abs_conf_rating", false),
            name = column("condition_name", false);
  std::vector<TrialRecord> trials;
  for (size_t n = 1; n < lines.size(); ++n) {
    if (lines[n].empty() || lines[n] == "\r") continue;
    const std::string where = "experiment: " + path.string() + ":" + std::to_string(n + 1) + ": ";
    const std::vector<std::string> f = split_csv_line(lines[n]);
    if (f.size() != header.size())
      throw FormatError(where + "expected " + std::to_string(header.size()) + " fields, found " + std::to_string(f.size()));
    TrialRecord t;
    t.participant = f[subject];
    t.condition = f[instr];
    t.condition_name = name >= 0 ? f[name] : "";
    t.layer = f[layer];
    t.trial_type = f[type];
    t.catch_trial = parse_bool(f[is_catch], where);
    t.correct = parse_bool(f[correct], where);
    t.rt = parse_double(f[rt], where);
    t.confidence = confidence >= 0 && !f[confidence].empty() ? parse_double(f[confidence], where) : std::nan("");
    trials.push_back(std::move(t));
  }
  return trials;
}

std::map<std::string, Estimate> participant_means(const std::vector<TrialRecord>& trials,
                                                  const std::function<std::string(const TrialRecord&)>& key,
                                                  const std::function<double(const TrialRecord&)>& value, uint64_t seed,
                                                  int resamples) {
  // group -> participant -> (sum, count)
  std::map<std::string, std::map<std::string, std::pair<double, int64_t>>> sums;
  for (const TrialRecord& t : trials) {
    if (t.trial_type != "main" || t.catch_trial) continue;
    const double v = value(t);
    if (std::isnan(v)) continue;
    auto& s = sums[key(t)][t.participant];
    s.first += v;
    ++s.second;
  }
  std::map<std::string, Estimate> out;
  uint64_t stream = 0;
  for (const auto& [group, per_participant] : sums) {
    std::vector<double> means;
    Estimate e;
    for (const auto& [participant, s] : per_participant) {
      means.push_back(s.first / static_cast<double>(s.second));
      e.trials += s.second;
    }
    const auto n = static_cast<int64_t>(means.size());
    e.participants = n;
    double total = 0;
    for (double m : means) total += m;
    e.mean = total / static_cast<double>(n);
    std::mt19937_64 rng = make_rng(seed, stream++);
    std::uniform_int_distribution<int64_t> pick(0, n - 1);
    std::vector<double> boot(static_cast<size_t>(resamples));
    for (double& b : boot) {
      double s = 0;
      for (int64_t i = 0; i < n; ++i) s += means[static_cast<size_t>(pick(rng))];
      b = s / static_cast<double>(n);
    }
    std::sort(boot.begin(), boot.end());
    auto percentile = [&](double q) {  // linear interpolation between order statistics (numpy's default)
      const double pos = q * static_cast<double>(boot.size() - 1);
      const auto lo = static_cast<size_t>(std::floor(pos));
      const size_t hi = std::min(lo + 1, boot.size() - 1);
      return boot[lo] + (pos - static_cast<double>(lo)) * (boot[hi] - boot[lo]);
    };
    e.ci_low = percentile(0.025);
    e.ci_high = percentile(0.975);
    out[group] = e;
  }
  return out;
}

std::map<std::string, Estimate> accuracy_by(const std::vector<TrialRecord>& trials,
                                            const std::function<std::string(const TrialRecord&)>& key, uint64_t seed) {
  return participant_means(trials, key, [](const TrialRecord& t) { return t.correct ? 1.0 : 0.0; }, seed);
}

std::map<std::string, double> catch_accuracy(const std::vector<TrialRecord>& trials) {
  std::map<std::string, std::pair<int64_t, int64_t>> counts;
  for (const TrialRecord& t : trials)
    if (t.catch_trial && t.trial_type == "main") {
      auto& c = counts[t.participant];
      c.first += t.correct;
      ++c.second;
    }
  std::map<std::string, double> out;
  for (const auto& [p, c] : counts) out[p] = static_cast<double>(c.first) / static_cast<double>(c.second);
  return out;
}

}  // namespace robustlab::psychophysics
