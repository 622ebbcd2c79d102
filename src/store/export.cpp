// CSV and JSON export of stored results (robustlab results, the report's downloads).
#include <cmath>
#include <set>
#include <sstream>

#include "robustlab/store/store.h"

namespace robustlab {
namespace {

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string number(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  std::ostringstream out;
  out.precision(10);
  out << v;
  return out.str();
}

std::string condition_value(const nlohmann::json& v) {
  return v.is_string() ? v.get<std::string>() : v.dump();
}

}  // namespace

std::string csv_table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows) {
  std::ostringstream out;
  auto line = [&](const std::vector<std::string>& cells) {
    for (size_t i = 0; i < cells.size(); ++i) out << (i ? "," : "") << csv_field(cells[i]);
    out << "\n";
  };
  line(header);
  for (const auto& row : rows) line(row);
  return out.str();
}

std::string results_to_csv(const std::vector<StoredResult>& results) {
  std::set<std::string> keys;
  for (const auto& r : results) {
    if (!r.row.condition.is_object()) continue;
    for (const auto& item : r.row.condition.items()) keys.insert(item.key());
  }
  std::vector<std::string> header = {"run_id", "model", "dataset"};
  header.insert(header.end(), keys.begin(), keys.end());
  header.insert(header.end(), {"metric", "value", "count"});
  std::vector<std::vector<std::string>> rows;
  for (const auto& r : results) {
    std::vector<std::string> row = {std::to_string(r.run_id), r.row.model, r.row.dataset};
    for (const auto& k : keys) {
      const bool has = r.row.condition.is_object() && r.row.condition.contains(k);
      row.push_back(has ? condition_value(r.row.condition.at(k)) : "");
    }
    row.insert(row.end(), {r.row.metric, number(r.row.value), std::to_string(r.row.count)});
    rows.push_back(std::move(row));
  }
  return csv_table(header, rows);
}

nlohmann::json results_to_json(const std::vector<StoredResult>& results) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& r : results) {
    nlohmann::json value = std::isfinite(r.row.value) ? nlohmann::json(r.row.value) : nlohmann::json(number(r.row.value));
    out.push_back({{"run_id", r.run_id},
                   {"model", r.row.model},
                   {"dataset", r.row.dataset},
                   {"condition", r.row.condition},
                   {"metric", r.row.metric},
                   {"value", value},
                   {"count", r.row.count}});
  }
  return out;
}

nlohmann::json run_to_json(const RunRecord& run) {
  return {{"id", run.id},
          {"command", run.command},
          {"config", run.config},
          {"seed", run.seed},
          {"version", run.version},
          {"started_at", run.started_at},
          {"ended_at", run.ended_at},
          {"status", to_string(run.status)},
          {"message", run.message},
          {"environment", run.environment}};
}

}  // namespace robustlab
