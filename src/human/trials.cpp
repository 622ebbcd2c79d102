// Reader and writer for model-vs-human raw CSVs (see trials.h for the format and its quirks).
#include "robustlab/human/trials.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <limits>
#include <sstream>

#include "robustlab/core/csv.h"
#include "robustlab/core/error.h"
#include "robustlab/core/paths.h"

namespace fs = std::filesystem;

namespace robustlab::human {
namespace {

constexpr const char* kColumns[] = {"subj", "session", "trial", "rt", "object_response", "category",
                                    "condition", "imagename"};

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

std::vector<std::string> split(const std::string& line, char sep) {
  std::vector<std::string> out;
  std::string field;
  std::istringstream in(line);
  while (std::getline(in, field, sep)) out.push_back(field);
  if (!line.empty() && line.back() == sep) out.emplace_back();
  return out;
}

/// Parses a whole string as a double (Python float() spelling, including inf and nan).
bool parse_number(const std::string& s, double& value) {
  const std::string l = lower(s);
  if (l == "inf" || l == "+inf" || l == "infinity") {
    value = std::numeric_limits<double>::infinity();
    return true;
  }
  if (l == "-inf") {
    value = -std::numeric_limits<double>::infinity();
    return true;
  }
  if (l == "nan") {
    value = std::numeric_limits<double>::quiet_NaN();
    return true;
  }
  if (s.empty()) return false;
  const char* begin = s.data();
  if (*begin == '+') ++begin;
  const auto [ptr, ec] = std::from_chars(begin, s.data() + s.size(), value);
  return ec == std::errc() && ptr == s.data() + s.size();
}

/// Python's repr of a float: the shortest round-trip digits, with ".0" for whole numbers.
std::string python_float(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[64];
  const auto [ptr, ec] = std::to_chars(buf, buf + sizeof buf, v);
  std::string s(buf, ptr);
  if (s.find_first_of(".e") == std::string::npos) s += ".0";
  return s;
}

double parse_rt(const std::string& s) {
  double v;
  return parse_number(s, v) ? v : std::numeric_limits<double>::quiet_NaN();
}

}  // namespace

std::string image_key(const std::string& imagename) {
  const std::vector<std::string> parts = split(imagename, '_');
  if (parts.size() <= 1) return imagename;
  const std::string& second_last = parts[parts.size() - 2];
  if (second_last.rfind("n0", 0) == 0) return second_last + "_" + parts.back();
  return parts.back();
}

std::vector<std::string> normalize_conditions(const std::vector<std::string>& raw) {
  bool all_bool = !raw.empty();
  for (const auto& s : raw) all_bool = all_bool && (lower(s) == "true" || lower(s) == "false");
  if (all_bool) {
    std::vector<std::string> out;
    for (const auto& s : raw) out.push_back(lower(s) == "true" ? "True" : "False");
    return out;
  }
  std::vector<double> values(raw.size());
  bool all_numeric = !raw.empty();
  bool floating = false;
  for (size_t i = 0; i < raw.size() && all_numeric; ++i) {
    all_numeric = parse_number(raw[i], values[i]);
    if (all_numeric) {
      // (an integer beyond int64 is read as a float, as pandas does past uint64)
      floating = floating || !std::isfinite(values[i]) || values[i] != std::floor(values[i]) ||
                 std::abs(values[i]) >= 9.2e18 || raw[i].find_first_of(".eE") != std::string::npos;
    }
  }
  if (!all_numeric) return raw;
  std::vector<std::string> out;
  out.reserve(raw.size());
  for (double v : values) {
    out.push_back(floating ? python_float(v) : std::to_string(static_cast<int64_t>(v)));
  }
  return out;
}

ObserverTrials read_raw_csv(const fs::path& path, const std::string& dataset) {
  const std::string text = read_file(path);
  std::istringstream in(text);
  std::string line;
  auto where = [&](int64_t n) { return "read_raw_csv: " + path.string() + ":" + std::to_string(n) + ": "; };
  if (!std::getline(in, line)) throw FormatError("read_raw_csv: file '" + path.string() + "' is empty");
  if (!line.empty() && line.back() == '\r') line.pop_back();
  const std::vector<std::string> header = split_csv_line(line);
  int column[8];
  for (int c = 0; c < 8; ++c) {
    const auto it = std::find_if(header.begin(), header.end(), [&](const std::string& h) { return lower(h) == kColumns[c]; });
    if (it == header.end()) throw FormatError(where(1) + "missing column '" + kColumns[c] + "'");
    column[c] = static_cast<int>(it - header.begin());
  }
  ObserverTrials out;
  out.source = path;
  out.dataset = dataset.empty() ? path.filename().string().substr(0, path.filename().string().find('_')) : dataset;
  std::vector<std::string> raw_conditions;
  int64_t line_number = 1;
  while (std::getline(in, line)) {
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    const std::vector<std::string> f = split_csv_line(line);
    if (f.size() != header.size()) {
      throw FormatError(where(line_number) + "expected " + std::to_string(header.size()) + " fields, found " +
                        std::to_string(f.size()));
    }
    const std::string& subj = f[column[0]];
    if (out.observer.empty()) {
      out.observer = subj;
      out.human = subj.rfind("subject-", 0) == 0;
    } else if (subj != out.observer) {
      throw FormatError(where(line_number) + "observer '" + subj + "' in a file of '" + out.observer + "'");
    }
    Trial t;
    double trial_number;
    if (!parse_number(f[column[2]], trial_number) || trial_number != std::floor(trial_number) ||
        std::abs(trial_number) > 1e15) {
      throw FormatError(where(line_number) + "trial '" + f[column[2]] + "' is not a whole number (of a sensible size)");
    }
    t.trial = static_cast<int64_t>(trial_number);
    t.rt = parse_rt(f[column[3]]);
    t.response = f[column[4]];
    t.category = f[column[5]];
    t.imagename = f[column[7]];
    if (t.category.empty() || t.imagename.empty()) {
      throw FormatError(where(line_number) + "empty category or imagename");
    }
    t.image_key = image_key(t.imagename);
    raw_conditions.push_back(f[column[6]]);
    out.trials.push_back(std::move(t));
  }
  if (out.trials.empty()) throw FormatError("read_raw_csv: file '" + path.string() + "' has no trials");
  const std::vector<std::string> conditions = normalize_conditions(raw_conditions);
  for (size_t i = 0; i < conditions.size(); ++i) out.trials[i].condition = conditions[i];
  return out;
}

void write_raw_csv(const fs::path& path, const ObserverTrials& data) {
  std::ostringstream out;
  out << "subj,session,trial,rt,object_response,category,condition,imagename\n";
  for (const Trial& t : data.trials) {
    out << data.observer << ",1," << t.trial << "," << (std::isnan(t.rt) ? "NaN" : python_float(t.rt)) << ","
        << t.response << "," << t.category << "," << t.condition << "," << t.imagename << "\n";
  }
  write_text_file(path, out.str());
}

RawData read_raw_data(const fs::path& dir) {
  if (!fs::is_directory(dir)) throw IoError("read_raw_data: directory '" + dir.string() + "' does not exist");
  std::vector<fs::path> files;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (entry.is_regular_file() && entry.path().extension() == ".csv") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  if (files.empty()) throw IoError("read_raw_data: no CSV files under '" + dir.string() + "'");
  RawData data;
  for (const auto& file : files) {
    ObserverTrials t = read_raw_csv(file);
    data[t.dataset].push_back(std::move(t));
  }
  return data;
}

}  // namespace robustlab::human
