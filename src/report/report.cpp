// The HTML report (report.h). Plots are drawn here as inline SVG (no charting library: the report
// must open offline and a few hundred lines cover bars, lines, a heatmap and a dot plot). Curves
// follow the papers' presentations: robustness (security-evaluation) curves of robust accuracy
// against epsilon (Pintor et al., arXiv:2102.12827), the ImageNet-C error heatmap and mCE
// (Hendrycks & Dietterich, arXiv:1903.12261), and the shape-bias plot of model-vs-human
// (Geirhos et al., arXiv:2106.07411).
#include "robustlab/report/report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <iomanip>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include "robustlab/core/paths.h"

namespace robustlab::report {
namespace {

std::string escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string num(double v, int digits = 4) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

// A data: URI with the CSV, percent-encoded (no external URL anywhere in the page).
std::string csv_link(const std::string& file, const std::vector<std::string>& header,
                     const std::vector<std::vector<std::string>>& rows) {
  const std::string csv = csv_table(header, rows);
  std::string uri = "data:text/csv;charset=utf-8,";
  static const char* hex = "0123456789ABCDEF";
  for (unsigned char c : csv) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == ' ') {
      uri += c == ' ' ? std::string("%20") : std::string(1, static_cast<char>(c));
    } else {
      uri += '%';
      uri += hex[c >> 4];
      uri += hex[c & 15];
    }
  }
  return "<a class=\"csv\" download=\"" + escape(file) + "\" href=\"" + uri + "\">data (CSV)</a>";
}

std::string table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows,
                  const std::string& csv_name) {
  std::ostringstream out;
  out << "<table class=\"sortable\"><thead><tr>";
  for (const auto& h : header) out << "<th>" << escape(h) << "</th>";
  out << "</tr></thead><tbody>";
  for (const auto& row : rows) {
    out << "<tr>";
    for (const auto& cell : row) out << "<td>" << escape(cell) << "</td>";
    out << "</tr>";
  }
  out << "</tbody></table><p>" << csv_link(csv_name, header, rows) << "</p>";
  return out.str();
}

std::string figure(const std::string& svg, const std::string& caption, const std::string& csv) {
  return "<figure>" + svg + "<figcaption>" + escape(caption) + " " + csv + "</figcaption></figure>";
}

const char* kPalette[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"};

// Horizontal bars: one row per label, one bar per series.
std::string bars(const std::vector<std::string>& labels, const std::vector<std::string>& series,
                 const std::vector<std::vector<double>>& values, double max_value, const std::string& axis) {
  const int bar = 12, gap = 6, width = 420;
  size_t longest = 0;
  for (const auto& l : labels) longest = std::max(longest, l.size());
  const int left = 20 + 6 * static_cast<int>(std::min<size_t>(longest, 60));
  size_t longest_series = 0;
  for (const auto& n : series) longest_series = std::max(longest_series, n.size());
  const int row = bar * static_cast<int>(series.size()) + gap;
  const int height = 30 + row * static_cast<int>(labels.size()) + 30;
  std::ostringstream s;
  s << "<svg width=\"" << left + width + 40 + 7 * static_cast<int>(longest_series)
    << "\" height=\"" << height
    << "\" role=\"img\">";
  for (size_t i = 0; i < labels.size(); ++i) {
    const int y = 20 + static_cast<int>(i) * row;
    s << "<text x=\"" << left - 6 << "\" y=\"" << y + row / 2 << "\" text-anchor=\"end\" font-size=\"11\">"
      << escape(labels[i]) << "</text>";
    for (size_t k = 0; k < series.size(); ++k) {
      const double v = values[k][i];
      if (!std::isfinite(v)) continue;
      const double w = std::max(0.0, v / max_value * width);
      s << "<rect x=\"" << left << "\" y=\"" << y + static_cast<int>(k) * bar << "\" width=\"" << num(w, 1)
        << "\" height=\"" << bar - 1 << "\" fill=\"" << kPalette[k % 8] << "\"><title>" << escape(series[k]) << ": "
        << num(v) << "</title></rect>";
    }
  }
  const int axis_y = 20 + row * static_cast<int>(labels.size());
  s << "<line x1=\"" << left << "\" y1=\"" << axis_y << "\" x2=\"" << left + width << "\" y2=\"" << axis_y
    << "\" stroke=\"#333\"/>";
  for (int t = 0; t <= 4; ++t)
    s << "<text x=\"" << left + width * t / 4 << "\" y=\"" << axis_y + 14 << "\" font-size=\"10\" text-anchor=\"middle\">"
      << num(max_value * t / 4, 2) << "</text>";
  s << "<text x=\"" << left + width / 2 << "\" y=\"" << axis_y + 28 << "\" font-size=\"11\" text-anchor=\"middle\">"
    << escape(axis) << "</text>";
  for (size_t k = 0; k < series.size() && series.size() > 1; ++k)
    s << "<rect x=\"" << left + width + 10 << "\" y=\"" << 20 + 16 * static_cast<int>(k) << "\" width=\"10\" height=\"10\" fill=\""
      << kPalette[k % 8] << "\"/><text x=\"" << left + width + 24 << "\" y=\"" << 29 + 16 * static_cast<int>(k)
      << "\" font-size=\"11\">" << escape(series[k]) << "</text>";
  s << "</svg>";
  return s.str();
}

// Lines through (x, y) points, one per series, on [0, x_max] x [0, 1].
std::string lines(const std::vector<std::string>& series, const std::vector<std::vector<std::pair<double, double>>>& points,
                  double x_max, const std::string& x_label, const std::string& y_label) {
  const int left = 50, top = 15, width = 420, height = 240;
  size_t longest = 0;
  for (const auto& n : series) longest = std::max(longest, n.size());
  auto px = [&](double x) { return left + x / x_max * width; };
  auto py = [&](double y) { return top + (1 - y) * height; };
  std::ostringstream s;
  s << "<svg width=\"" << left + width + 40 + 7 * static_cast<int>(longest)
    << "\" height=\"" << top + height + 45
    << "\" role=\"img\">";
  s << "<rect x=\"" << left << "\" y=\"" << top << "\" width=\"" << width << "\" height=\"" << height
    << "\" fill=\"none\" stroke=\"#333\"/>";
  for (int t = 0; t <= 4; ++t) {
    s << "<text x=\"" << px(x_max * t / 4) << "\" y=\"" << top + height + 14 << "\" font-size=\"10\" text-anchor=\"middle\">"
      << num(x_max * t / 4, 3) << "</text>";
    s << "<text x=\"" << left - 4 << "\" y=\"" << py(t / 4.0) + 3 << "\" font-size=\"10\" text-anchor=\"end\">"
      << num(t / 4.0, 2) << "</text>";
  }
  s << "<text x=\"" << left + width / 2 << "\" y=\"" << top + height + 30 << "\" font-size=\"11\" text-anchor=\"middle\">"
    << escape(x_label) << "</text><text x=\"12\" y=\"" << top + height / 2 << "\" font-size=\"11\" transform=\"rotate(-90 12 "
    << top + height / 2 << ")\" text-anchor=\"middle\">" << escape(y_label) << "</text>";
  for (size_t k = 0; k < series.size(); ++k) {
    s << "<polyline fill=\"none\" stroke-width=\"2\" stroke=\"" << kPalette[k % 8] << "\" points=\"";
    for (const auto& [x, y] : points[k]) s << num(px(x), 1) << "," << num(py(y), 1) << " ";
    s << "\"><title>" << escape(series[k]) << "</title></polyline>";
    s << "<line x1=\"" << left + width + 10 << "\" y1=\"" << top + 10 + 16 * static_cast<int>(k) << "\" x2=\"" << left + width + 24
      << "\" y2=\"" << top + 10 + 16 * static_cast<int>(k) << "\" stroke-width=\"2\" stroke=\"" << kPalette[k % 8]
      << "\"/><text x=\"" << left + width + 28 << "\" y=\"" << top + 14 + 16 * static_cast<int>(k) << "\" font-size=\"11\">"
      << escape(series[k]) << "</text>";
  }
  s << "</svg>";
  return s.str();
}

// A heatmap of values in [0, 1] (white to dark red); NaN cells stay grey.
std::string heatmap(const std::vector<std::string>& rows, const std::vector<std::string>& cols,
                    const std::vector<std::vector<double>>& values) {
  const int left = 150, top = 20, cell = 34, h = 18;
  std::ostringstream s;
  s << "<svg width=\"" << left + cell * static_cast<int>(cols.size()) + 20
    << "\" height=\"" << top + h * static_cast<int>(rows.size()) + 10 << "\" role=\"img\">";
  for (size_t j = 0; j < cols.size(); ++j)
    s << "<text x=\"" << left + cell * static_cast<int>(j) + cell / 2 << "\" y=\"" << top - 6
      << "\" font-size=\"11\" text-anchor=\"middle\">" << escape(cols[j]) << "</text>";
  for (size_t i = 0; i < rows.size(); ++i) {
    const int y = top + h * static_cast<int>(i);
    s << "<text x=\"" << left - 6 << "\" y=\"" << y + 13 << "\" font-size=\"11\" text-anchor=\"end\">" << escape(rows[i])
      << "</text>";
    for (size_t j = 0; j < cols.size(); ++j) {
      const double v = values[i][j];
      std::string fill = "#ddd";
      if (std::isfinite(v)) {
        const int shade = static_cast<int>(255 * (1 - std::clamp(v, 0.0, 1.0)));
        char buf[16];
        std::snprintf(buf, sizeof buf, "#%02x%02x%02x", 200 + shade * 55 / 255, shade, shade);
        fill = buf;
      }
      s << "<rect x=\"" << left + cell * static_cast<int>(j) << "\" y=\"" << y << "\" width=\"" << cell - 1 << "\" height=\""
        << h - 1 << "\" fill=\"" << fill << "\"><title>" << escape(rows[i]) << " " << escape(cols[j]) << ": " << num(v)
        << "</title></rect>";
      if (std::isfinite(v))
        s << "<text x=\"" << left + cell * static_cast<int>(j) + cell / 2 << "\" y=\"" << y + 13
          << "\" font-size=\"9\" text-anchor=\"middle\" fill=\"" << (v > 0.5 ? "#fff" : "#000") << "\">" << num(v, 2)
          << "</text>";
    }
  }
  s << "</svg>";
  return s.str();
}

// One bar per entry of `values` (label -> value), with its CSV.
std::string single_bars(const std::map<std::string, double>& values, double max_value, const std::string& axis,
                        const std::string& caption, const std::string& csv_file,
                        const std::vector<std::string>& csv_header) {
  std::vector<std::string> labels;
  std::vector<double> v;
  std::vector<std::vector<std::string>> rows;
  for (const auto& [label, value] : values) {
    labels.push_back(label);
    v.push_back(value);
    rows.push_back({label, num(value)});
  }
  return figure(bars(labels, {csv_header[1]}, {v}, max_value, axis), caption, csv_link(csv_file, csv_header, rows));
}

// ---- data ----------------------------------------------------------------------------------------

std::string condition_string(const nlohmann::json& c, const std::string& key) {
  if (!c.is_object() || !c.contains(key)) return "";
  return c[key].is_string() ? c[key].get<std::string>() : c[key].dump();
}

struct Section {
  std::string id, title, body;
};

// Seconds between two ISO 8601 UTC timestamps ("2026-11-29T22:50:01Z"); empty when either is missing.
std::string duration(const std::string& start, const std::string& end) {
  auto seconds = [](const std::string& t) -> std::optional<int64_t> {
    std::tm tm{};
    std::istringstream in(t);
    in >> std::get_time(&tm, "%Y-%m-%dT%H:%M:%S");
    if (in.fail()) return std::nullopt;
    return static_cast<int64_t>(timegm(&tm));
  };
  const auto a = seconds(start), b = seconds(end);
  if (!a || !b) return "";
  return std::to_string(*b - *a) + " s";
}

std::string section_runs(const std::vector<RunRecord>& runs) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& r : runs) {
    const char* status = r.status == RunStatus::kCompleted ? "completed" : r.status == RunStatus::kFailed ? "failed" : "running";
    rows.push_back({std::to_string(r.id), r.command, status, r.started_at, r.ended_at, duration(r.started_at, r.ended_at),
                    std::to_string(r.seed), r.version, r.config.dump(), r.message});
  }
  return table({"run", "command", "status", "started", "ended", "duration", "seed", "version", "configuration", "message"},
               rows, "runs.csv");
}

std::string section_clean(const std::vector<StoredResult>& results) {
  std::map<std::string, double> error;  // "model on dataset (run)" -> error
  for (const auto& r : results) {
    if (r.row.metric != "error") continue;
    const bool plain = r.row.condition.is_null() || r.row.condition.empty();
    const bool clean = condition_string(r.row.condition, "corruption") == "clean";  // from a corruption benchmark
    if (!plain && !clean) continue;
    const std::string adapt = condition_string(r.row.condition, "adapt");
    error[r.row.model + " on " + r.row.dataset + (clean && !adapt.empty() ? " · " + adapt : "") + " (run " +
          std::to_string(r.run_id) + ")"] = r.row.value;
  }
  if (error.empty()) return "";
  double max = 0.05;
  for (const auto& [k, v] : error) max = std::max(max, v * 1.1);
  return single_bars(error, max, "top-1 error", "Clean error per model.", "clean_error.csv", {"model", "error"});
}

/// The adaptation method of a corruption row with its stream protocol when it is not the default
/// reset-each-shift: "none", "tent · continual".
std::string method_label(const nlohmann::json& condition) {
  const std::string adapt = condition_string(condition, "adapt");
  const std::string protocol = condition_string(condition, "protocol");
  return (adapt.empty() ? "none" : adapt) + (protocol.empty() || protocol == "reset-each-shift" ? "" : " · " + protocol);
}

/// The method × protocol table (mean error over the conditions of each stream) and the error over
/// a continual or mixed stream, in the order it was measured — where continual methods collapse.
std::string stream_tables(const std::vector<StoredResult>& results) {
  std::map<std::pair<std::string, std::string>, std::map<std::string, std::pair<double, int>>> means;  // (run·model, method) -> protocol
  std::set<std::string> protocols;
  std::map<std::string, std::vector<std::pair<double, double>>> curves;
  std::vector<std::vector<std::string>> curve_rows;
  for (const auto& r : results) {
    const std::string protocol = condition_string(r.row.condition, "protocol");
    const std::string corruption = condition_string(r.row.condition, "corruption");
    if (r.row.metric != "error" || protocol.empty() || corruption.empty() || corruption == "clean") continue;
    const std::string adapt = condition_string(r.row.condition, "adapt");
    const std::string who = r.row.model + " (run " + std::to_string(r.run_id) + ")";
    auto& m = means[{who, adapt.empty() ? "none" : adapt}][protocol];
    m.first += r.row.value;
    m.second += 1;
    protocols.insert(protocol);
    if (protocol != "reset-each-shift") {
      const std::string series = who + " · " + (adapt.empty() ? "none" : adapt) + " · " + protocol;
      auto& curve = curves[series];
      curve.emplace_back(static_cast<double>(curve.size() + 1), r.row.value);
      curve_rows.push_back({series, std::to_string(curve.size()), corruption,
                            std::to_string(r.row.condition.value("severity", 0)), num(r.row.value)});
    }
  }
  if (means.empty()) return "";
  std::ostringstream out;
  std::vector<std::string> header = {"model", "method"};
  header.insert(header.end(), protocols.begin(), protocols.end());
  std::vector<std::vector<std::string>> rows;
  for (const auto& [key, by] : means) {
    std::vector<std::string> row = {key.first, key.second};
    for (const auto& p : protocols) {
      const auto it = by.find(p);
      row.push_back(it == by.end() ? "" : num(it->second.first / it->second.second));
    }
    rows.push_back(row);
  }
  out << "<h3>Mean error per method and stream protocol</h3>" << table(header, rows, "method_protocol.csv");
  if (!curves.empty()) {
    std::vector<std::string> names;
    std::vector<std::vector<std::pair<double, double>>> points;
    double last = 1;
    for (const auto& [name, curve] : curves) {
      names.push_back(name);
      points.push_back(curve);
      last = std::max(last, static_cast<double>(curve.size()));
    }
    out << figure(lines(names, points, last, "condition in stream order", "error"),
                  "Error along continual and mixed streams, condition by condition (a collapsing method climbs).",
                  csv_link("stream_errors.csv", {"series", "position", "corruption", "severity", "error"}, curve_rows));
  }
  return out.str();
}

std::string section_corruptions(const std::vector<StoredResult>& results) {
  // (run, model, method) -> corruption -> severity -> error
  using Key = std::tuple<int64_t, std::string, std::string>;
  std::map<Key, std::map<std::string, std::map<int, double>>> grid;
  std::map<Key, std::map<std::string, std::map<int, int>>> repeats;
  std::set<std::string> names;
  std::set<int> severities;
  for (const auto& r : results) {
    const std::string corruption = condition_string(r.row.condition, "corruption");
    if (r.row.metric != "error" || corruption.empty() || corruption == "clean") continue;
    const int severity = r.row.condition.value("severity", 0);
    // A gradual stream measures a corruption and severity twice (up and down): the cell is their mean.
    const Key key{r.run_id, r.row.model, method_label(r.row.condition)};
    auto& cell = grid[key][corruption];
    const int seen = repeats[key][corruption][severity]++;
    cell[severity] = seen == 0 ? r.row.value : (cell[severity] * seen + r.row.value) / (seen + 1);
    names.insert(corruption);
    severities.insert(severity);
  }
  if (grid.empty()) return "";
  std::ostringstream out;
  out << "<div class=\"grid\">";
  const std::vector<std::string> corruption_list(names.begin(), names.end());
  std::vector<std::string> methods;
  std::vector<std::vector<double>> means;
  std::vector<std::vector<std::string>> mean_rows;
  for (const auto& [key, by_corruption] : grid) {
    const auto& [run, model, adapt] = key;
    const std::string label = model + " · " + adapt + " (run " + std::to_string(run) + ")";
    std::vector<std::string> cols;
    for (int s : severities) cols.push_back("s" + std::to_string(s));
    std::vector<std::vector<double>> values;
    std::vector<std::vector<std::string>> rows;
    std::vector<double> mean_of;
    for (const auto& c : corruption_list) {
      std::vector<double> row;
      double sum = 0;
      int n = 0;
      for (int s : severities) {
        const auto it = by_corruption.find(c);
        const bool has = it != by_corruption.end() && it->second.count(s);
        const double v = has ? it->second.at(s) : std::numeric_limits<double>::quiet_NaN();
        row.push_back(v);
        if (has) {
          sum += v;
          ++n;
          rows.push_back({c, std::to_string(s), num(v)});
        }
      }
      values.push_back(row);
      mean_of.push_back(n ? sum / n : std::numeric_limits<double>::quiet_NaN());
    }
    out << figure(heatmap(corruption_list, cols, values), "Error per corruption and severity: " + label + ".",
                  csv_link("corruption_errors_run" + std::to_string(run) + "_" +
                               adapt.substr(0, adapt.find(' ')) + (adapt.find(' ') == std::string::npos ? "" : "_" + adapt.substr(adapt.rfind(' ') + 1)) + ".csv",
                           {"corruption", "severity", "error"}, rows));
    methods.push_back(label);
    means.push_back(mean_of);
    for (size_t i = 0; i < corruption_list.size(); ++i) mean_rows.push_back({label, corruption_list[i], num(mean_of[i])});
  }
  out << "</div>";
  out << figure(bars(corruption_list, methods, means, 1.0, "mean error over severities"),
                "Mean error per corruption and adaptation method.",
                csv_link("corruption_mean_errors.csv", {"model and method", "corruption", "mean error"}, mean_rows));
  // CE per corruption (error relative to the baseline), one series per model and method.
  std::map<std::string, std::map<std::string, double>> ce;  // series -> corruption -> CE
  std::set<std::string> ce_names;
  for (const auto& r : results)
    if (r.row.metric == "ce") {
      ce[r.row.model + " · " + method_label(r.row.condition) + " (run " + std::to_string(r.run_id) + ", baseline " +
         condition_string(r.row.condition, "baseline") + ")"][condition_string(r.row.condition, "corruption")] = r.row.value;
      ce_names.insert(condition_string(r.row.condition, "corruption"));
    }
  if (!ce.empty()) {
    const std::vector<std::string> labels(ce_names.begin(), ce_names.end());
    std::vector<std::string> series;
    std::vector<std::vector<double>> values;
    std::vector<std::vector<std::string>> rows;
    double max = 1.0;
    for (const auto& [name, by] : ce) {
      series.push_back(name);
      std::vector<double> v;
      for (const auto& c : labels) {
        const auto it = by.find(c);
        v.push_back(it == by.end() ? std::numeric_limits<double>::quiet_NaN() : it->second);
        if (it != by.end()) {
          max = std::max(max, it->second);
          rows.push_back({name, c, num(it->second)});
        }
      }
      values.push_back(v);
    }
    out << figure(bars(labels, series, values, max * 1.05, "corruption error CE (relative to the baseline)"),
                  "CE per corruption and adaptation method.", csv_link("ce.csv", {"model and method", "corruption", "CE"}, rows));
  }
  std::vector<std::vector<std::string>> mce_rows;
  for (const auto& r : results)
    if (r.row.metric == "mce" || r.row.metric == "relative_mce")
      mce_rows.push_back({std::to_string(r.run_id), r.row.model, method_label(r.row.condition),
                          condition_string(r.row.condition, "baseline"), r.row.metric, num(r.row.value),
                          condition_string(r.row.condition, "frost_textures")});
  if (!mce_rows.empty())
    out << "<h3>mCE per adaptation method</h3>"
        << table({"run", "model", "adapt", "baseline", "metric", "value", "frost textures"}, mce_rows, "mce.csv");
  out << stream_tables(results);
  return out.str();
}

std::string section_attacks(const std::vector<StoredResult>& results) {
  std::map<std::string, std::vector<double>> norms;  // "attack Lp (run)" -> per-sample minimal norms
  for (const auto& r : results)
    if (r.row.metric == "min_norm")
      norms[condition_string(r.row.condition, "attack") + " " + condition_string(r.row.condition, "norm") + " · " +
            r.row.model + " (run " + std::to_string(r.run_id) + ")"]
          .push_back(r.row.value);
  std::vector<std::vector<std::string>> medians;
  for (const auto& r : results)
    if (r.row.metric == "median_norm")
      medians.push_back({std::to_string(r.run_id), r.row.model, condition_string(r.row.condition, "attack"),
                         condition_string(r.row.condition, "norm"), num(r.row.value)});
  if (norms.empty() && medians.empty()) return "";
  std::ostringstream out;
  // One plot per norm (the scales differ): robust accuracy = fraction with minimal norm > eps.
  std::map<std::string, std::vector<std::string>> by_norm;
  for (const auto& [name, v] : norms) {
    const size_t space = name.find(' ');
    by_norm[name.substr(space + 1, name.find(" · ") - space - 1)].push_back(name);
  }
  for (const auto& [norm, names] : by_norm) {
    double x_max = 0;
    for (const auto& n : names)
      for (double v : norms[n])
        if (std::isfinite(v)) x_max = std::max(x_max, v);
    x_max = x_max > 0 ? x_max * 1.05 : 1.0;
    std::vector<std::vector<std::pair<double, double>>> curves;
    std::vector<std::vector<std::string>> rows;
    for (const auto& n : names) {
      std::vector<double> v = norms[n];
      std::sort(v.begin(), v.end());
      std::vector<std::pair<double, double>> curve;
      for (int k = 0; k <= 100; ++k) {
        const double eps = x_max * k / 100;
        const double robust = static_cast<double>(v.end() - std::upper_bound(v.begin(), v.end(), eps)) /
                              static_cast<double>(v.size());
        curve.emplace_back(eps, robust);
        if (k % 10 == 0) rows.push_back({n, num(eps), num(robust)});
      }
      curves.push_back(curve);
    }
    out << figure(lines(names, curves, x_max, "epsilon (" + norm + ")", "robust accuracy"),
                  "Robust accuracy against the perturbation budget, " + norm + ", from per-sample minimal norms.",
                  csv_link("robust_accuracy_" + norm + ".csv", {"attack", "epsilon", "robust accuracy"}, rows));
  }
  if (!medians.empty())
    out << "<h3>Median minimal perturbation</h3>"
        << table({"run", "model", "attack", "norm", "median norm"}, medians, "median_norms.csv");
  return out.str();
}

std::string section_human(const std::vector<StoredResult>& results) {
  std::map<std::string, std::map<std::string, double>> overall;  // model -> metric -> value
  std::map<std::string, std::map<std::string, double>> consistency;  // dataset -> model -> kappa
  std::map<std::string, double> shape_bias;
  for (const auto& r : results) {
    const bool plain = r.row.condition.is_null() || r.row.condition.empty();
    if (r.row.dataset == "model-vs-human" && plain) overall[r.row.model][r.row.metric] = r.row.value;
    if (r.row.metric == "error_consistency" && plain && r.row.dataset != "model-vs-human")
      consistency[r.row.dataset][r.row.model] = r.row.value;
    if (r.row.metric == "shape_bias") shape_bias[r.row.model] = r.row.value;
  }
  if (overall.empty() && shape_bias.empty()) return "";
  std::ostringstream out;
  if (!overall.empty()) {
    std::vector<std::vector<std::string>> rows;
    for (const auto& [model, m] : overall) {
      auto get = [&metrics = m](const char* k) { return metrics.count(k) ? num(metrics.at(k), 3) : ""; };
      rows.push_back({model, get("ood_accuracy"), get("accuracy_difference"), get("observed_consistency"),
                      get("error_consistency"), get("mean_rank")});
    }
    out << "<h3>Benchmark table</h3>"
        << table({"model", "OOD accuracy", "accuracy difference", "observed consistency", "error consistency", "mean rank"},
                 rows, "model_vs_human.csv");
  }
  if (!consistency.empty()) {
    std::set<std::string> models;
    for (const auto& [d, m] : consistency)
      for (const auto& [model, v] : m) models.insert(model);
    std::vector<std::string> datasets, series(models.begin(), models.end());
    std::vector<std::vector<double>> values(series.size());
    std::vector<std::vector<std::string>> rows;
    for (const auto& [d, m] : consistency) {
      datasets.push_back(d);
      for (size_t k = 0; k < series.size(); ++k) {
        const auto it = m.find(series[k]);
        values[k].push_back(it == m.end() ? std::numeric_limits<double>::quiet_NaN() : std::max(0.0, it->second));
        if (it != m.end()) rows.push_back({d, series[k], num(it->second)});
      }
    }
    out << figure(bars(datasets, series, values, 1.0, "error consistency (kappa; negative values drawn at 0)"),
                  "Error consistency with human observers per dataset.",
                  csv_link("error_consistency.csv", {"dataset", "observer", "kappa"}, rows));
  }
  if (!shape_bias.empty()) {
    // Shape bias as in model-vs-human: fraction of shape decisions on cue-conflict images, 0..1.
    out << single_bars(shape_bias, 1.0, "fraction of shape decisions (0: texture, 1: shape)",
                       "Shape bias on cue-conflict stimuli.", "shape_bias.csv", {"observer", "shape bias"});
  }
  return out.str();
}

std::string section_identify(const std::vector<StoredResult>& results) {
  // Curves: R² and MCC of f∘g on fresh samples during training, one pair of lines per experiment.
  std::map<std::string, std::map<std::string, std::vector<std::pair<double, double>>>> curves;  // name -> metric
  std::map<std::string, std::map<std::string, double>> final_scores;
  double last_step = 1;
  for (const auto& r : results) {
    static const std::set<std::string> kMetrics = {"curve_loss", "curve_r2", "curve_mcc", "r2",   "r2_sd",
                                                   "mcc",        "mcc_sd",   "g_r2",      "g_mcc"};
    if (!kMetrics.count(r.row.metric)) continue;
    if (r.row.model.rfind("encoder", 0) != 0) continue;  // identify's experiments, not user arrays
    const std::string row = condition_string(r.row.condition, "row");
    const std::string name = "run " + std::to_string(r.run_id) + (row.empty() ? " · " + r.row.model : " · " + row);
    if (r.row.metric.rfind("curve_", 0) == 0) {
      const double step = r.row.condition.value("step", 0.0);
      curves[name][r.row.metric].emplace_back(step, r.row.value);
      last_step = std::max(last_step, step);
    } else {
      final_scores[name][r.row.metric] = r.row.value;
    }
  }
  if (curves.empty() && final_scores.empty()) return "";
  std::ostringstream out;
  for (const std::string metric : {"curve_loss", "curve_r2", "curve_mcc"}) {
    std::vector<std::string> names;
    std::vector<std::vector<std::pair<double, double>>> points;
    std::vector<std::vector<std::string>> rows;
    for (const auto& [name, m] : curves) {
      if (!m.count(metric)) continue;
      std::vector<std::pair<double, double>> curve = m.at(metric);
      // InfoNCE losses are >= 0 (the positive is among the logits): the loss is drawn divided by
      // its largest value; R² and MCC are drawn as they are (clipped to [0, 1]).
      double largest = 0;
      for (const auto& [step, v] : curve) largest = std::max(largest, v);
      for (auto& [step, v] : curve) {
        rows.push_back({name, num(step, 0), num(v)});
        v = metric == "curve_loss" ? (largest > 0 ? v / largest : 0.0) : std::clamp(v, 0.0, 1.0);
      }
      names.push_back(name);
      points.push_back(curve);
    }
    if (names.empty()) continue;
    const std::string label = metric == "curve_loss" ? "loss" : metric == "curve_r2" ? "R²" : "MCC";
    out << figure(lines(names, points, last_step, "training step",
                        metric == "curve_loss" ? "loss ÷ its largest value" : label),
                  metric == "curve_loss" ? "Training loss (mean over the steps since the previous point)."
                                         : label + " of f∘g on fresh latents during training (cl-ica's protocol).",
                  csv_link(metric + ".csv", {"experiment", "step", label}, rows));
  }
  if (!final_scores.empty()) {
    std::vector<std::vector<std::string>> rows;
    for (const auto& [name, m] : final_scores) {
      auto get = [&metrics = m](const char* k) { return metrics.count(k) ? num(metrics.at(k)) : std::string(); };
      rows.push_back({name, get("r2"), get("r2_sd"), get("mcc"), get("mcc_sd"), get("g_r2"), get("g_mcc")});
    }
    out << "<h3>Identifiability after training</h3>"
        << table({"experiment", "R²", "sd", "MCC", "sd", "R² of g alone", "MCC of g alone"}, rows, "identifiability.csv");
  }
  return out.str();
}

/// Training curves (step, value) per run and model, each drawn divided by its largest value, with
/// the values themselves in a CSV.
std::string training_curves(const std::map<std::string, std::vector<std::pair<double, double>>>& curves,
                            const std::string& caption, const std::string& csv, const std::string& value_name) {
  std::vector<std::string> names;
  std::vector<std::vector<std::pair<double, double>>> points;
  std::vector<std::vector<std::string>> rows;
  double last = 1;
  for (auto [name, curve] : curves) {
    double largest = 0;
    for (const auto& [step, v] : curve) largest = std::max(largest, v), last = std::max(last, step);
    for (auto& [step, v] : curve) {
      rows.push_back({name, num(step, 0), num(v)});
      v = largest > 0 ? v / largest : 0;
    }
    names.push_back(name);
    points.push_back(curve);
  }
  return figure(lines(names, points, last, "training step", value_name + " ÷ its largest value"), caption,
                csv_link(csv, {"model", "step", value_name}, rows));
}

std::string section_disentanglement(const std::vector<StoredResult>& results) {
  static const std::vector<std::string> kMetrics = {
      "mcc", "mig", "dci_disentanglement", "dci_completeness", "dci_informativeness_test", "sap", "modularity",
      "explicitness_test", "beta_vae_eval", "factor_vae_eval"};
  std::map<std::string, std::map<std::string, double>> scores;             // "run · model" -> metric
  std::map<std::string, std::vector<std::pair<double, double>>> losses;    // "run · model" -> (step, loss)
  for (const auto& r : results) {
    const std::string name = "run " + std::to_string(r.run_id) + " · " + r.row.model;
    const bool plain = r.row.condition.is_null() || r.row.condition.empty();
    // identify's experiments store an "mcc" too; their model is "encoder …" (their own section).
    if (plain && r.row.model.rfind("encoder", 0) != 0 &&
        std::find(kMetrics.begin(), kMetrics.end(), r.row.metric) != kMetrics.end())
      scores[name][r.row.metric] = r.row.value;
    if (r.row.metric == "train_loss" && r.row.condition.contains("step"))
      losses[name].emplace_back(r.row.condition["step"].get<double>(), r.row.value);
  }
  if (scores.empty()) return "";
  std::ostringstream out;
  if (!losses.empty())
    out << training_curves(losses, "SlowVAE / beta-VAE training loss (2·recon + beta·KL_N + gamma·KL_L).", "vae_loss.csv",
                           "loss");
  std::vector<std::string> header = {"model"};
  header.insert(header.end(), kMetrics.begin(), kMetrics.end());
  std::vector<std::vector<std::string>> rows;
  for (const auto& [name, m] : scores) {
    std::vector<std::string> row = {name};
    for (const auto& metric : kMetrics) row.push_back(m.count(metric) ? num(m.at(metric), 3) : "");
    rows.push_back(row);
  }
  out << "<h3>Disentanglement metrics</h3>" << table(header, rows, "disentanglement.csv");
  return out.str();
}

std::string recognition_gap_part(const std::vector<StoredResult>& results) {
  // The recognition gap (Funke et al. 2021): each search's summary, and its per-image gaps sorted
  // (the share of images whose gap is at least a value).
  struct Summary {
    double mean = 0, sd = 0, size = 0;
    int64_t with_mirc = 0, images = 0;
  };
  std::map<std::string, Summary> summaries;
  std::map<std::string, std::vector<double>> gaps;
  for (const auto& r : results) {
    const std::string children = condition_string(r.row.condition, "children");
    if (children.empty()) continue;
    const std::string who = r.row.model + " · " + r.row.dataset + " · " + children + " (run " + std::to_string(r.run_id) + ")";
    if (r.row.metric == "recognition_gap") gaps[who].push_back(r.row.value);
    Summary& s = summaries[who];
    if (r.row.metric == "mean_recognition_gap") {
      s.mean = r.row.value;
      s.with_mirc = r.row.count;
      s.images = r.row.condition.value("images", int64_t{0});
    }
    if (r.row.metric == "std_recognition_gap") s.sd = r.row.value;
    if (r.row.metric == "mean_mirc_size") s.size = r.row.value;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& [who, s] : summaries)
    if (s.images > 0)
      rows.push_back({who, std::to_string(s.images), std::to_string(s.with_mirc), num(s.mean, 3) + " ± " + num(s.sd, 3),
                      num(s.size, 1)});
  if (rows.empty()) return "";
  rows.push_back({"humans (Ullman et al. 2016)", "", "", "0.710 ± 0.050", ""});
  rows.push_back({"BagNet-33 · ImageNet · ullman4 (Funke et al. 2021)", "1000", "601", "0.897 ± 0.176", "46"});
  rows.push_back({"BagNet-33 · ImageNet · stride1 (Funke et al. 2021)", "1000", "601", "0.918 ± 0.155", "33"});
  std::ostringstream out;
  out << "<h3>Recognition gap: p(MIRC) − p(sub-MIRC) over images with a real MIRC</h3>"
      << table({"model · data · children", "images", "with a MIRC", "recognition gap", "MIRC size (px)"}, rows,
               "recognition_gap.csv");
  std::vector<std::string> names;
  std::vector<std::vector<std::pair<double, double>>> curves;
  std::vector<std::vector<std::string>> csv;
  for (auto& [who, values] : gaps) {
    std::vector<double> real;
    for (double v : values)
      if (v > 0) real.push_back(v);
    if (real.empty()) continue;
    std::sort(real.begin(), real.end(), std::greater<>());
    std::vector<std::pair<double, double>> curve;
    for (size_t i = 0; i < real.size(); ++i) {
      curve.emplace_back(static_cast<double>(i + 1) / static_cast<double>(real.size()), real[i]);
      csv.push_back({who, num(curve.back().first, 4), num(real[i], 4)});
    }
    names.push_back(who);
    curves.push_back(curve);
  }
  if (!curves.empty())
    out << figure(lines(names, curves, 1.0, "share of images with a real MIRC", "recognition gap"),
                  "Recognition gaps, largest first (humans average 0.71).",
                  csv_link("recognition_gaps.csv", {"series", "share", "gap"}, csv));
  return out.str();
}

// The closed-contour generalisation table (pitfalls contour): accuracy per set at threshold 0 and at
// the optimised criterion, with the ResNet-50 numbers of Funke et al. (../shared/reference/mvh.md §5.1).
std::string contour_part(const std::vector<StoredResult>& results) {
  static const std::map<std::string, std::string> kPublished = {
      {"training", "99.7"},         {"no-flankers", "99.9"},           {"3-gons", "98.6"},
      {"12-gons", "99.5"},          {"curvy-50", "99.8"},              {"curvy-100", "99.8"},
      {"curvy", "100"},             {"dashed-flanker", "100"},         {"asymmetric-flankers", "99.7"},
      {"line-width-1.25", "50.0 (51.6)"}, {"line-width-4.5", "50.0 (61.0)"}, {"line-width-7.5", "50.0 (51.8)"},
      {"white-lines", "53.1 (58.8)"}, {"black-white-black", "52.2 (55.0)"}, {"dashed", "50.0 (51.0)"},
      {"curvy-150", "81.3 (94.8)"}, {"binarised", "75.1 (91.1)"}};
  std::map<std::pair<std::string, std::string>, std::pair<double, double>> acc;  // (run · model, set) -> (zero, opt)
  std::vector<std::pair<std::string, std::string>> order;
  for (const auto& r : results) {
    const std::string criterion = condition_string(r.row.condition, "criterion");
    if (r.row.metric != "accuracy" || criterion.empty()) continue;
    const std::pair key{"run " + std::to_string(r.run_id) + " · " + std::filesystem::path(r.row.model).filename().string(),
                        r.row.dataset};
    if (!acc.count(key)) order.push_back(key);
    (criterion == "zero" ? acc[key].first : acc[key].second) = r.row.value;
  }
  if (order.empty()) return "";
  std::vector<std::vector<std::string>> rows;
  for (const auto& key : order) {
    const auto published = kPublished.find(key.second);
    rows.push_back({key.first, key.second, num(100 * acc[key].first, 1) + " (" + num(100 * acc[key].second, 1) + ")",
                    published == kPublished.end() ? "" : published->second});
  }
  return "<h3>Closed contours: accuracy (%) at threshold 0 (at the optimised criterion)</h3>" +
         table({"run · model", "set", "accuracy", "ResNet-50, Funke et al. 2021"}, rows, "contours.csv");
}

// The SVRT training-set-size study (pitfalls svrt): test accuracy per problem and size, and each task
// group's mean against the training-set size beside the published ResNet-50 trained from scratch.
std::string svrt_part(const std::vector<StoredResult>& results) {
  // run -> size -> problem -> (group, accuracy)
  std::map<std::string, std::map<int64_t, std::map<int, std::pair<std::string, double>>>> best;
  std::map<std::string, std::map<std::string, std::vector<std::pair<double, double>>>> means;  // run -> group -> (log N, acc)
  for (const auto& r : results) {
    const std::string run = "run " + std::to_string(r.run_id) + " · " + r.row.model;
    if (r.row.metric == "best_test_accuracy" && r.row.dataset.rfind("svrt/problem_", 0) == 0)
      best[run][r.row.condition.at("train_size").get<int64_t>()][std::stoi(r.row.dataset.substr(13))] = {
          condition_string(r.row.condition, "group"), r.row.value};
    if (r.row.metric == "mean_test_accuracy" && r.row.dataset.rfind("svrt/", 0) == 0)
      means[run][r.row.dataset.substr(5)].emplace_back(std::log10(r.row.condition.at("train_size").get<double>()), r.row.value);
  }
  if (best.empty()) return "";
  std::ostringstream out;
  out << "<h3>SVRT: test accuracy per problem and training-set size</h3>";
  std::vector<std::vector<std::string>> rows;
  for (const auto& [run, per_size] : best)
    for (const auto& [size, per_problem] : per_size)
      for (const auto& [problem, cell] : per_problem)
        rows.push_back({run, std::to_string(problem), cell.first, std::to_string(size), num(cell.second, 3)});
  out << table({"run · model", "problem", "group", "training images", "test accuracy"}, rows, "svrt.csv");
  std::vector<std::string> names;
  std::vector<std::vector<std::pair<double, double>>> curves;
  std::vector<std::vector<std::string>> csv;
  for (auto& [run, groups] : means)
    for (auto& [group, points] : groups) {
      std::sort(points.begin(), points.end());
      names.push_back(run + " · " + group);
      curves.push_back(points);
      for (const auto& [x, y] : points) csv.push_back({names.back(), num(std::pow(10.0, x), 6), num(y, 4)});
    }
  const double l100 = 2, l1k = 3, l28k = std::log10(28000.0);
  names.push_back("ResNet-50 from scratch · same-different (Funke et al.)");
  curves.push_back({{l100, 0.507}, {l1k, 0.688}, {l28k, 0.928}});
  names.push_back("ResNet-50 from scratch · spatial (Funke et al.)");
  curves.push_back({{l100, 0.803}, {l1k, 0.951}, {l28k, 0.983}});
  out << figure(lines(names, curves, 5, "log10 of the training-set size", "mean test accuracy"),
                "SVRT, mean test accuracy per task group against the training-set size.",
                csv_link("svrt_groups.csv", {"series", "training images", "accuracy"}, csv));
  return out.str();
}

std::string section_pitfalls(const std::vector<StoredResult>& results) {
  return contour_part(results) + svrt_part(results) + recognition_gap_part(results);
}

// Per unit of a stimulus set: how far feature visualisation drives the channel past the natural
// images' extremes (experiment stimuli, the benchmark's psychophysics section).
std::string feature_vis_units(const std::vector<StoredResult>& results) {
  static const std::vector<std::string> kMetrics = {"natural_min_activation", "synthetic_min_activation",
                                                    "natural_max_activation", "synthetic_max_activation"};
  std::map<std::string, std::map<std::string, double>> units;  // "run · model · layer:channel" -> metric
  for (const auto& r : results) {
    if (std::find(kMetrics.begin(), kMetrics.end(), r.row.metric) == kMetrics.end() || !r.row.condition.contains("layer")) continue;
    const std::string unit = r.row.condition["layer"].get<std::string>() + ":" + std::to_string(r.row.condition["channel"].get<int64_t>());
    units["run " + std::to_string(r.run_id) + " · " + r.row.model + " · " + unit][r.row.metric] = r.row.value;
  }
  if (units.empty()) return "";
  std::vector<std::vector<std::string>> rows;
  for (const auto& [name, m] : units) {
    std::vector<std::string> row = {name};
    for (const auto& metric : kMetrics) row.push_back(m.count(metric) ? num(m.at(metric), 3) : "");
    rows.push_back(row);
  }
  return "<h3>Feature visualisations against the natural extremes of each unit</h3>"
         "<p>Spatial-mean activation of the channel: the least and most activating natural images of the dataset, "
         "and the lowest min and highest max of the optimised images.</p>" +
         table({"run · model · unit", "natural min", "synthetic min", "natural max", "synthetic max"}, rows,
               "feature_visualization_units.csv");
}

// The feature-visualisation experiment (experiment analyze): accuracy per condition with its
// bootstrap interval, beside the means recomputed from Borowski et al.'s published CSVs
// (../shared/reference/mvh.md §6).
std::string section_psychophysics(const std::vector<StoredResult>& results) {
  static const std::map<std::string, std::string> kPublished = {
      {"natural", "0.922 (Exp. I) / 0.822 (Exp. II)"}, {"optimized", "0.820 (Exp. I) / 0.699 (Exp. II)"},
      {"none_pre", "0.446"}, {"none_post", "0.415"},
      {"Max-1/optimized", "0.652"}, {"Max-1/natural", "0.730"}, {"Max-9/optimized", "0.667"}, {"Max-9/natural", "0.811"},
      {"Min-Max-1/optimized", "0.759"}, {"Min-Max-1/natural", "0.837"}, {"Min-Max-9/optimized", "0.717"},
      {"Min-Max-9/natural", "0.909"}};
  struct Cell {
    double mean = 0, low = 0, high = 0;
    int64_t participants = 0;
  };
  std::map<std::pair<std::string, std::string>, Cell> cells;  // (run · data, condition)
  for (const auto& r : results) {
    const std::string condition = condition_string(r.row.condition, "condition");
    if (condition.empty() || r.row.metric.rfind("accuracy", 0) != 0) continue;
    Cell& c = cells[{"run " + std::to_string(r.run_id) + " · " + r.row.model + " · " + r.row.dataset, condition}];
    if (r.row.metric == "accuracy") c.mean = r.row.value, c.participants = r.row.count;
    if (r.row.metric == "accuracy_ci_low") c.low = r.row.value;
    if (r.row.metric == "accuracy_ci_high") c.high = r.row.value;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& [key, c] : cells) {
    const auto published = kPublished.find(key.second);
    rows.push_back({key.first, key.second, std::to_string(c.participants), num(c.mean, 3),
                    "[" + num(c.low, 3) + ", " + num(c.high, 3) + "]",
                    published == kPublished.end() ? "" : published->second});
  }
  if (rows.empty()) return "";
  // One bar per run and condition, the interval in the tooltip and the table.
  std::vector<std::string> labels;
  std::vector<double> values;
  for (const auto& [key, c] : cells) {
    labels.push_back(key.first + " · " + key.second);
    values.push_back(c.mean);
  }
  return "<h3>Which query activates the unit more? Accuracy per reference condition (optimized = synthetic)</h3>" +
         figure(bars(labels, {"accuracy"}, {values}, 1.0, "accuracy (chance 0.5)"),
                "Mean over participants of each participant's accuracy on the main, non-catch trials.", "") +
         table({"run · observers · data", "condition", "participants", "accuracy", "95% CI", "Borowski et al. 2021"}, rows,
               "psychophysics.csv") +
         feature_vis_units(results);
}

std::string section_objects(const std::vector<StoredResult>& results) {
  // MOT metrics (the benchmark's percentages) of any predictions scored by objects eval or the
  // benchmark's objects section, and the slot model's training error.
  static const std::vector<std::pair<std::string, std::string>> kMetrics = {
      {"mota", "MOTA"},  {"motp", "MOTP"}, {"mostly_detected", "MD"}, {"mostly_tracked", "MT"}, {"match", "Match"},
      {"miss", "Miss"},  {"id_switches", "ID S."}, {"false_positives", "FPs"}, {"mse", "MSE"}};
  std::map<std::string, std::map<std::string, double>> scores;           // "run · model · dataset" -> metric
  std::map<std::string, std::vector<std::pair<double, double>>> losses;  // "run · model" -> (step, mse)
  for (const auto& r : results) {
    const std::string name = "run " + std::to_string(r.run_id) + " · " + r.row.model;
    if (r.row.metric == "train_mse" && r.row.condition.contains("step")) {
      losses[name].emplace_back(r.row.condition["step"].get<double>(), r.row.value);
    } else if (r.row.condition.is_null() || r.row.condition.empty()) {
      for (const auto& [metric, label] : kMetrics)
        if (r.row.metric == metric) scores[name + " · " + r.row.dataset][metric] = r.row.value;
    }
  }
  for (auto it = scores.begin(); it != scores.end();) it = it->second.count("mota") ? std::next(it) : scores.erase(it);
  if (scores.empty() && losses.empty()) return "";
  std::ostringstream out;
  if (!losses.empty())
    out << training_curves(losses, "Video slot-attention training: reconstruction MSE per pixel and channel.",
                           "slot_video_mse.csv", "mse");
  if (!scores.empty()) {
    std::vector<std::string> header = {"predictions · test set"};
    for (const auto& [metric, label] : kMetrics) header.push_back(label);
    std::vector<std::vector<std::string>> rows;
    for (const auto& [name, m] : scores) {
      std::vector<std::string> row = {name};
      for (const auto& [metric, label] : kMetrics) row.push_back(m.count(metric) ? num(m.at(metric), 1) : "");
      rows.push_back(row);
    }
    out << "<h3>Multi-object tracking (Weis et al. 2021's protocol)</h3>"
        << "<p>Percentages; MSE is the reconstruction error summed over a frame's pixels and channels. The published "
           "ViMON row on the original VMDS: MOTA 86.8, MOTP 86.8, MD 86.2, MT 85.0.</p>"
        << table(header, rows, "objects.csv");
  }
  return out.str();
}

const char* kStyle = R"(body{font-family:sans-serif;margin:2em;max-width:1100px;color:#222}
h1{font-size:1.6em}h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:2em}
table{border-collapse:collapse;font-size:.85em;margin:.5em 0}th,td{border:1px solid #ccc;padding:3px 6px;text-align:left}
th{background:#f0f0f0;cursor:pointer}td{max-width:420px;overflow-wrap:anywhere}figure{margin:1em 0}
figcaption{font-size:.85em;color:#444;max-width:360px}.grid{display:flex;flex-wrap:wrap;gap:1em}.empty{color:#666;font-style:italic}nav a{margin-right:1em})";

// Click a header to sort by that column (numbers numerically); nothing else needs script.
const char* kScript = R"(document.querySelectorAll('table.sortable th').forEach(function(th, col) {
  th.addEventListener('click', function() {
    var body = th.closest('table').tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    var asc = th.dataset.asc !== '1';
    rows.sort(function(a, b) {
      var x = a.cells[col].textContent, y = b.cells[col].textContent;
      var nx = parseFloat(x), ny = parseFloat(y);
      var r = (!isNaN(nx) && !isNaN(ny)) ? nx - ny : x.localeCompare(y);
      return asc ? r : -r;
    });
    th.dataset.asc = asc ? '1' : '0';
    rows.forEach(function(r) { body.appendChild(r); });
  });
});
document.body.setAttribute('data-rendered', 'ok');)";

}  // namespace

std::string render_html(const Store& store, const ReportOptions& options) {
  std::vector<RunRecord> runs = store.runs();
  std::vector<StoredResult> results;
  std::string notice;
  if (options.run) {
    const auto run = store.run(*options.run);
    if (!run) {
      notice = "Run " + std::to_string(*options.run) + " does not exist in " + store.path().string() + ".";
      runs.clear();
    } else {
      runs = {*run};
      results = store.results({.run_id = *options.run});
    }
  } else {
    results = store.results();
  }
  if (notice.empty() && results.empty())
    notice = runs.empty() ? "The results store " + store.path().string() + " is empty: run a robustlab command first."
                          : "No results recorded yet.";
  std::vector<Section> sections = {
      {"clean", "Clean error", section_clean(results)},
      {"corruptions", "Corruption benchmark", section_corruptions(results)},
      {"adversarial", "Adversarial robustness", section_attacks(results)},
      {"human", "Model vs. human", section_human(results)},
      {"identifiability", "Contrastive identifiability", section_identify(results)},
      {"disentanglement", "Disentanglement", section_disentanglement(results)},
      {"objects", "Object-centric video", section_objects(results)},
      {"pitfalls", "Humans and machines: closed contours, SVRT, the recognition gap", section_pitfalls(results)},
      {"psychophysics", "Feature visualisations vs. natural exemplars", section_psychophysics(results)},
      {"runs", "Runs", runs.empty() ? "" : section_runs(runs)},
  };
  std::ostringstream html;
  html << "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>" << escape(options.title) << "</title>";
  if (options.refresh_seconds > 0) html << "<meta http-equiv=\"refresh\" content=\"" << options.refresh_seconds << "\">";
  html << "<style>" << kStyle << "</style></head><body><h1>" << escape(options.title) << "</h1><p>Results database "
       << escape(store.path().string()) << (options.run ? ", run " + std::to_string(*options.run) : ", all runs") << ".</p>";
  if (!notice.empty()) html << "<p class=\"empty\" id=\"empty\">" << escape(notice) << "</p>";
  html << "<nav>";
  for (const auto& s : sections)
    if (!s.body.empty()) html << "<a href=\"#" << s.id << "\">" << escape(s.title) << "</a>";
  html << "</nav>";
  for (const auto& s : sections)
    if (!s.body.empty()) html << "<section id=\"" << s.id << "\"><h2>" << escape(s.title) << "</h2>" << s.body << "</section>";
  html << "<script>" << kScript << "</script></body></html>\n";
  return html.str();
}

void write_report(const Store& store, const ReportOptions& options, const std::filesystem::path& path) {
  write_text_file(path, render_html(store, options));
}

}  // namespace robustlab::report
