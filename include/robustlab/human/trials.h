// The model-vs-human raw-data format (Geirhos et al. 2021, "Partial success in closing the gap
// between human and machine vision", github.com/bethgelab/model-vs-human): one CSV per observer
// and dataset with the columns subj, session, trial, rt, object_response, category, condition,
// imagename. The reader handles the format's quirks (../shared/data/model-vs-human/README.md):
// `Session` spelled with a capital, CRLF line ends, `na` responses, condition strings that the
// Python analysis normalises through pandas' type inference, and images matched across observers
// by the tail of their file name.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace robustlab::human {

struct Trial {
  int64_t trial = 0;
  double rt = 0.0;        ///< seconds; NaN for models and missing responses
  std::string response;   ///< one of the 16 categories, or "na"
  std::string category;   ///< ground truth (the shape category on cue-conflict)
  std::string condition;  ///< normalised as the Python analysis sees it (see normalize_conditions)
  std::string imagename;  ///< as in the file
  std::string image_key;  ///< image identity across observers (see image_key)
  bool correct() const { return response == category; }
};

/// All trials of one observer (a human subject or a model) on one dataset.
struct ObserverTrials {
  std::string dataset;
  std::string observer;  ///< "subject-01", "resnet50", ...
  bool human = false;    ///< subj starts with "subject-"
  std::filesystem::path source;
  std::vector<Trial> trials;
};

/// The image identity used to match trials across observers: split on '_'; one part: the whole
/// name; else if the second-to-last part starts with "n0": "<second-to-last>_<last>" (ImageNet
/// file names); else the last part.
std::string image_key(const std::string& imagename);

/// Normalises one file's raw condition strings the way pandas' read_csv + astype(str) does in the
/// Python analysis: a column of numbers becomes integers ("0", "40") or, if any value has a
/// fraction, a decimal point, inf or nan, Python floats ("0.0", "0.03", "1.0", "inf");
/// true/false become "True"/"False"; anything else stays as it is.
std::vector<std::string> normalize_conditions(const std::vector<std::string>& raw);

/// Reads one raw CSV. The dataset name comes from the file name (the part before the first '_')
/// unless `dataset` is given. Throws IoError for a missing file and FormatError, naming the file
/// and line, for a missing column, a wrong number of fields, a bad trial number or an empty file.
ObserverTrials read_raw_csv(const std::filesystem::path& path, const std::string& dataset = "");

/// Writes trials in the same format (model files: session-1 naming, rt NaN), atomically.
void write_raw_csv(const std::filesystem::path& path, const ObserverTrials& data);

/// dataset -> observers, from every CSV below a folder (model-vs-human's raw-data/ layout,
/// <dataset>/<dataset>_<observer>_session-1.csv); the dataset is the file name up to its first '_'.
using RawData = std::map<std::string, std::vector<ObserverTrials>>;
/// Reads every CSV under `dir`. Throws IoError if `dir` does not exist or holds no CSV.
RawData read_raw_data(const std::filesystem::path& dir);

}  // namespace robustlab::human
