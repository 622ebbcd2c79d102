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

std::string results_to_csv(const std::vector<StoredResult>& results) {
  std::set<std::string> keys;
  for (const auto& r : results) {
    if (!r.row.condition.is_object()) continue;
    for (const auto& item : r.row.condition.items()) keys.insert(item.key());
  }
  std::ostringstream out;
  out << "run_id,model,dataset";
  for (const auto& k : keys) out << "," << csv_field(k);
  out << ",metric,value,count\n";
  for (const auto& r : results) {
    out << r.run_id << "," << csv_field(r.row.model) << "," << csv_field(r.row.dataset);
    for (const auto& k : keys) {
      out << ",";
      if (r.row.condition.is_object() && r.row.condition.contains(k)) {
        out << csv_field(condition_value(r.row.condition.at(k)));
      }
    }
    out << "," << csv_field(r.row.metric) << "," << number(r.row.value) << "," << r.row.count << "\n";
  }
  return out.str();
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
          {"message", run.message}};
}

}  // namespace robustlab
