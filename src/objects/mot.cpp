// RLE, the benchmark's JSON, motmetrics' accumulator and the benchmark's evaluation (see mot.h).
// cpu (whole file): masks and their matching live on the host (predictions come back there).
#include "robustlab/objects/mot.h"

#include <torch/torch.h>

#include <array>
#include <cmath>
#include <limits>
#include <numeric>
#include <set>
#include <sstream>

#include "robustlab/core/assignment.h"
#include "robustlab/core/error.h"

namespace robustlab::objects {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::string where(size_t video, size_t frame) {
  return "video " + std::to_string(video) + ", frame " + std::to_string(frame);
}

}  // namespace

std::string rle_encode(const torch::Tensor& mask) {
  if (mask.dim() != 2) throw ShapeError("rle_encode: the mask must be [H, W], got " + c10::str(mask.sizes()));
  const torch::Tensor m = mask.ne(0).to(torch::kUInt8).contiguous().view({-1});
  const uint8_t* p = m.data_ptr<uint8_t>();
  const int64_t n = m.numel();
  std::ostringstream out;
  bool first = true;
  for (int64_t i = 0; i < n;) {
    if (!p[i]) {
      ++i;
      continue;
    }
    int64_t j = i;
    while (j < n && p[j]) ++j;
    out << (first ? "" : " ") << i + 1 << " " << j - i;
    first = false;
    i = j;
  }
  return out.str();
}

torch::Tensor rle_decode(const std::string& rle, int64_t height, int64_t width) {
  std::istringstream in(rle);
  std::vector<int64_t> values;
  for (std::string token; in >> token;) {
    size_t used = 0;
    int64_t v = -1;
    try {
      v = std::stoll(token, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != token.size() || v < 0) throw FormatError("rle: '" + token + "' is not a non-negative integer");
    values.push_back(v);
  }
  if (values.size() % 2 != 0) {
    throw FormatError("rle: " + std::to_string(values.size()) + " numbers; a run-length string holds start/length pairs");
  }
  torch::Tensor out = torch::zeros({height * width}, torch::kUInt8);
  uint8_t* p = out.data_ptr<uint8_t>();
  for (size_t k = 0; k < values.size(); k += 2) {
    const int64_t start = values[k], length = values[k + 1];
    if (start < 1) throw FormatError("rle: starts are 1-based, got " + std::to_string(start));
    if (start - 1 + length > height * width) {
      throw FormatError("rle: the run " + std::to_string(start) + " " + std::to_string(length) + " goes past the " +
                        std::to_string(height) + "x" + std::to_string(width) + " image");
    }
    std::fill(p + start - 1, p + start - 1 + length, uint8_t{1});
  }
  return out.view({height, width});
}

std::vector<Video> videos_from_json(const nlohmann::json& json) {
  if (!json.is_array()) throw FormatError("mot json: expected a list of videos");
  std::vector<Video> videos;
  for (size_t v = 0; v < json.size(); ++v) {
    if (!json[v].is_array()) throw FormatError("mot json: video " + std::to_string(v) + " is not a list of frames");
    Video video;
    for (size_t t = 0; t < json[v].size(); ++t) {
      const auto& f = json[v][t];
      if (!f.is_object() || !f.contains("masks") || !f.contains("ids") || !f["masks"].is_array() || !f["ids"].is_array()) {
        throw FormatError("mot json: " + where(v, t) + " needs 'masks' and 'ids' lists");
      }
      Frame frame;
      for (const auto& m : f["masks"]) {
        if (!m.is_string()) throw FormatError("mot json: " + where(v, t) + ": masks must be RLE strings");
        frame.masks.push_back(m.get<std::string>());
      }
      std::set<int64_t> seen;
      for (const auto& id : f["ids"]) {
        if (!id.is_number_integer()) throw FormatError("mot json: " + where(v, t) + ": ids must be integers");
        frame.ids.push_back(id.get<int64_t>());
        if (!seen.insert(frame.ids.back()).second) {
          throw FormatError("mot json: " + where(v, t) + ": id " + std::to_string(frame.ids.back()) + " appears twice");
        }
      }
      if (frame.masks.size() != frame.ids.size()) {
        throw FormatError("mot json: " + where(v, t) + " has " + std::to_string(frame.masks.size()) + " masks but " +
                          std::to_string(frame.ids.size()) + " ids");
      }
      if (f.contains("num_bg") && !f["num_bg"].is_number_integer())
        throw FormatError("mot json: " + where(v, t) + ": num_bg must be an integer");
      frame.num_bg = f.value("num_bg", int64_t{0});
      if (frame.num_bg < 0 || frame.num_bg > static_cast<int64_t>(frame.ids.size())) {
        throw FormatError("mot json: " + where(v, t) + ": num_bg " + std::to_string(frame.num_bg) + " with " +
                          std::to_string(frame.ids.size()) + " masks");
      }
      video.push_back(std::move(frame));
    }
    videos.push_back(std::move(video));
  }
  return videos;
}

nlohmann::json videos_to_json(const std::vector<Video>& videos) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& video : videos) {
    nlohmann::json frames = nlohmann::json::array();
    for (const auto& f : video) {
      nlohmann::json frame = {{"masks", f.masks}, {"ids", f.ids}};
      if (f.num_bg > 0) frame["num_bg"] = f.num_bg;
      frames.push_back(frame);
    }
    out.push_back(frames);
  }
  return out;
}

void MotAccumulator::update(const std::vector<int64_t>& objects, const std::vector<int64_t>& hypotheses,
                            const std::vector<double>& distances_in, int64_t frame) {
  const size_t no = objects.size(), nh = hypotheses.size();
  if (distances_in.size() != no * nh) {
    throw ShapeError("mot: " + std::to_string(distances_in.size()) + " distances for " + std::to_string(no) +
                     " objects and " + std::to_string(nh) + " hypotheses");
  }
  std::vector<double> d = distances_in;
  std::vector<char> object_done(no, 0), hypothesis_done(nh, 0);
  if (no * nh > 0) {
    // 1. Keep the previous pairings that are still possible.
    for (size_t i = 0; i < no; ++i) {
      const auto prev = paired_.find(objects[i]);
      if (prev == paired_.end()) continue;
      for (size_t j = 0; j < nh; ++j) {
        if (hypothesis_done[j] || hypotheses[j] != prev->second) continue;
        if (std::isfinite(d[i * nh + j])) {
          object_done[i] = hypothesis_done[j] = 1;
          events_.push_back({frame, EventType::kMatch, objects[i], hypotheses[j], d[i * nh + j]});
        }
        break;  // the first unused hypothesis with that id
      }
    }
    // 2. The optimal assignment of the rest; a new partner for a paired object is a switch.
    for (size_t i = 0; i < no; ++i)
      for (size_t j = 0; j < nh; ++j)
        if (object_done[i] || hypothesis_done[j]) d[i * nh + j] = kNaN;
    const Assignment a = linear_sum_assignment(d, static_cast<int64_t>(no), static_cast<int64_t>(nh));
    for (size_t k = 0; k < a.rows.size(); ++k) {
      const auto i = static_cast<size_t>(a.rows[k]), j = static_cast<size_t>(a.cols[k]);
      const auto prev = paired_.find(objects[i]);
      const bool is_switch = prev != paired_.end() && prev->second != hypotheses[j];
      events_.push_back({frame, is_switch ? EventType::kSwitch : EventType::kMatch, objects[i], hypotheses[j], d[i * nh + j]});
      object_done[i] = hypothesis_done[j] = 1;
      paired_[objects[i]] = hypotheses[j];
    }
  }
  // 3. Missed objects, 4. false positives.
  for (size_t i = 0; i < no; ++i)
    if (!object_done[i]) events_.push_back({frame, EventType::kMiss, objects[i], -1, kNaN});
  for (size_t j = 0; j < nh; ++j)
    if (!hypothesis_done[j]) events_.push_back({frame, EventType::kFalsePositive, -1, hypotheses[j], kNaN});
}

nlohmann::json MotMetrics::to_json() const {
  return {{"mota", mota},
          {"motp", motp},
          {"mostly_detected", mostly_detected},
          {"mostly_tracked", mostly_tracked},
          {"match", match},
          {"miss", miss},
          {"id_switches", id_switches},
          {"false_positives", false_positives},
          {"num_frames", num_frames},
          {"num_objects", num_objects},
          {"num_unique_objects", num_unique_objects},
          {"num_matches", num_matches},
          {"num_misses", num_misses},
          {"num_switches", num_switches},
          {"num_false_positives", num_false_positives}};
}

MotMetrics mot_metrics(const std::vector<Event>& events, int64_t num_frames) {
  MotMetrics m;
  m.num_frames = num_frames;
  double distance_sum = 0;
  std::map<int64_t, std::array<int64_t, 3>> per_object;  // frames present, matched, detected
  for (const Event& e : events) {
    switch (e.type) {
      case EventType::kMatch: ++m.num_matches; break;
      case EventType::kSwitch: ++m.num_switches; break;
      case EventType::kMiss: ++m.num_misses; break;
      default: ++m.num_false_positives; break;
    }
    if (e.type == EventType::kMatch || e.type == EventType::kSwitch) distance_sum += e.distance;
    if (e.type != EventType::kFalsePositive) {
      auto& o = per_object[e.object];
      ++o[0];
      o[1] += e.type == EventType::kMatch;
      o[2] += e.type != EventType::kMiss;
    }
  }
  m.num_objects = m.num_matches + m.num_switches + m.num_misses;
  m.num_unique_objects = static_cast<int64_t>(per_object.size());
  const double n = static_cast<double>(m.num_objects);
  if (m.num_objects > 0) {
    m.mota = (1.0 - static_cast<double>(m.num_misses + m.num_switches + m.num_false_positives) / n) * 100;
    m.match = static_cast<double>(m.num_matches) / n * 100;
    m.miss = static_cast<double>(m.num_misses) / n * 100;
    m.id_switches = static_cast<double>(m.num_switches) / n * 100;
    m.false_positives = static_cast<double>(m.num_false_positives) / n * 100;
  } else {
    m.mota = m.match = m.miss = m.id_switches = m.false_positives = kNaN;
  }
  const int64_t detections = m.num_matches + m.num_switches;
  m.motp = detections > 0 ? (1.0 - distance_sum / static_cast<double>(detections)) * 100 : kNaN;
  int64_t tracked = 0, detected = 0;
  for (const auto& [id, o] : per_object) {
    tracked += static_cast<double>(o[1]) / static_cast<double>(o[0]) >= 0.8;
    detected += static_cast<double>(o[2]) / static_cast<double>(o[0]) >= 0.8;
  }
  const double ids = static_cast<double>(per_object.size());
  m.mostly_tracked = per_object.empty() ? kNaN : static_cast<double>(tracked) / ids * 100;
  m.mostly_detected = per_object.empty() ? kNaN : static_cast<double>(detected) / ids * 100;
  return m;
}

void EvalOptions::validate() const {
  if (start_frame < 0 || stop_frame <= start_frame) {
    throw InvalidArgument("mot: need 0 <= start_frame < stop_frame, got " + std::to_string(start_frame) + " and " +
                          std::to_string(stop_frame));
  }
  if (!(iou_threshold >= 0 && iou_threshold <= 1)) throw InvalidArgument("mot: iou_threshold must be in [0, 1]");
  if (min_pixels < 0 || image_size < 1) throw InvalidArgument("mot: min_pixels must be >= 0 and image_size >= 1");
}

EvalResult evaluate_mot(const std::vector<Video>& gt, const std::vector<Video>& pred, const EvalOptions& o) {
  o.validate();
  if (gt.size() != pred.size()) {
    throw ShapeError("mot: " + std::to_string(gt.size()) + " ground-truth videos but " + std::to_string(pred.size()) +
                     " predicted");
  }
  const int64_t s = o.image_size;
  MotAccumulator acc;
  EvalResult result;
  int64_t count = 0;
  for (size_t v = 0; v < gt.size(); ++v) {
    if (static_cast<int64_t>(gt[v].size()) < o.stop_frame || static_cast<int64_t>(pred[v].size()) < o.stop_frame) {
      throw ShapeError("mot: video " + std::to_string(v) + " has " + std::to_string(gt[v].size()) + " ground-truth and " +
                       std::to_string(pred[v].size()) + " predicted frames; frames up to " +
                       std::to_string(o.stop_frame - 1) + " are scored");
    }
    for (int64_t t = o.start_frame; t < o.stop_frame; ++t) {
      const Frame& g = gt[v][static_cast<size_t>(t)];
      const Frame& p = pred[v][static_cast<size_t>(t)];
      auto keep = [&](const Frame& f, std::vector<torch::Tensor>& masks, std::vector<int64_t>& ids, int64_t* dropped_bg) {
        for (size_t k = 0; k < f.masks.size(); ++k) {
          torch::Tensor m;
          try {
            m = rle_decode(f.masks[k], s, s);
          } catch (const FormatError& e) {
            throw FormatError("mot: " + where(v, static_cast<size_t>(t)) + ", id " + std::to_string(f.ids[k]) + ": " + e.what());
          }
          if (m.sum().item<int64_t>() > o.min_pixels) {
            masks.push_back(m.to(torch::kInt32));
            ids.push_back(f.ids[k]);
          } else if (dropped_bg && static_cast<int64_t>(k) >= static_cast<int64_t>(f.masks.size()) - f.num_bg) {
            ++*dropped_bg;
          }
        }
      };
      std::vector<torch::Tensor> gm, pm;
      std::vector<int64_t> gid, pid;
      keep(p, pm, pid, nullptr);
      keep(g, gm, gid, &result.background_filtered);
      const size_t ng = gm.size(), np_ = pm.size();
      std::vector<double> iou(ng * np_);
      for (size_t h = 0; h < ng; ++h) {
        const int64_t a = gm[h].sum().item<int64_t>();
        for (size_t j = 0; j < np_; ++j) {
          const int64_t b = pm[j].sum().item<int64_t>(), both = (gm[h] * pm[j]).sum().item<int64_t>();
          const double uni = static_cast<double>(a + b - both);
          iou[h * np_ + j] = uni == 0 ? 1.0 : static_cast<double>(both) / (uni + std::numeric_limits<double>::epsilon());
        }
      }
      // Background rows: the last num_bg rows, each deleting the predictions it overlaps (> 0.2).
      std::vector<size_t> rows(ng), cols(np_);
      std::iota(rows.begin(), rows.end(), 0);
      std::iota(cols.begin(), cols.end(), 0);
      if (o.exclude_background) {
        for (int64_t k = 0; k < g.num_bg && !rows.empty(); ++k) {
          const size_t bg = rows.back();
          std::vector<size_t> kept;
          for (size_t j : cols)
            if (!(iou[bg * np_ + j] > 0.2)) kept.push_back(j);
          cols = kept;
          rows.pop_back();
        }
      }
      std::vector<int64_t> objects, hypotheses;
      for (size_t h : rows) objects.push_back(gid[h]);
      for (size_t j : cols) hypotheses.push_back(pid[j]);
      std::vector<double> dist;
      for (size_t h : rows) {
        for (size_t j : cols) {
          const double d = 1.0 - iou[h * np_ + j];
          dist.push_back(d > o.iou_threshold ? kNaN : d);
        }
      }
      acc.update(objects, hypotheses, dist, count++);
    }
  }
  result.metrics = mot_metrics(acc.events(), count);
  return result;
}

Video binarize_slots(const torch::Tensor& soft, int64_t first_id) {
  if (soft.dim() != 4) throw ShapeError("binarize_slots: soft masks must be [T, K, H, W], got " + c10::str(soft.sizes()));
  if (!torch::isfinite(soft).all().item<bool>()) throw InvalidArgument("binarize_slots: the soft masks contain NaN or inf");
  Video video;
  const int64_t k = soft.size(1);
  for (int64_t t = 0; t < soft.size(0); ++t) {
    const torch::Tensor winner = soft[t].argmax(0);
    Frame frame;
    for (int64_t slot = 0; slot < k; ++slot) {
      const torch::Tensor mask = winner.eq(slot);
      if (!mask.any().item<bool>()) continue;
      frame.masks.push_back(rle_encode(mask));
      frame.ids.push_back(first_id + slot);
    }
    video.push_back(std::move(frame));
  }
  return video;
}

}  // namespace robustlab::objects
