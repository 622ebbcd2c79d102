#include "robustlab/core/csv.h"

#include "robustlab/core/error.h"

namespace robustlab {

std::vector<std::string> split_csv_line(const std::string& line) {
  const size_t end = !line.empty() && line.back() == '\r' ? line.size() - 1 : line.size();
  std::vector<std::string> fields(1);
  bool quoted = false;
  for (size_t i = 0; i < end; ++i) {
    const char c = line[i];
    if (quoted) {
      if (c != '"') {
        fields.back() += c;
      } else if (i + 1 < end && line[i + 1] == '"') {
        fields.back() += '"';
        ++i;
      } else {
        quoted = false;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      fields.emplace_back();
    } else {
      fields.back() += c;
    }
  }
  if (quoted) throw FormatError("csv: unterminated quote in line '" + line.substr(0, 80) + "'");
  return fields;
}

}  // namespace robustlab
