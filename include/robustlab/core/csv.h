// Splitting one line of a comma-separated file (RFC 4180: fields may be quoted, a quote inside a
// quoted field is doubled; no line breaks inside fields), as the CSV readers of the human and
// psychophysics modules need.
#pragma once

#include <string>
#include <vector>

namespace robustlab {

/// The fields of `line` (a trailing '\r' is ignored). Throws FormatError for an unterminated quote.
std::vector<std::string> split_csv_line(const std::string& line);

}  // namespace robustlab
