// See web_experiment.h.
#include "robustlab/psychophysics/web_experiment.h"

#include <openssl/evp.h>

#include <array>
#include <cmath>
#include <random>

#include "robustlab/core/error.h"
#include "robustlab/core/log.h"
#include "robustlab/core/paths.h"
#include "robustlab/core/random.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace robustlab::psychophysics {

std::string_view experiment_page();  // web/experiment.html, embedded at build time

namespace {

constexpr const char* kCommand = "experiment serve";
constexpr const char* kCookie = "rl_session";

std::string hex(const unsigned char* bytes, size_t n) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < n; ++i) {
    out.push_back(digits[bytes[i] >> 4]);
    out.push_back(digits[bytes[i] & 15]);
  }
  return out;
}

/// The session token of a request: the cookie, or an Authorization: Bearer header.
std::string request_token(const httplib::Request& req) {
  const std::string auth = req.get_header_value("Authorization");
  if (auth.rfind("Bearer ", 0) == 0) return auth.substr(7);
  const std::string cookies = req.get_header_value("Cookie");
  const std::string key = std::string(kCookie) + "=";
  for (size_t pos = 0; pos < cookies.size();) {
    while (pos < cookies.size() && (cookies[pos] == ' ' || cookies[pos] == ';')) ++pos;
    const size_t end = std::min(cookies.find(';', pos), cookies.size());
    if (cookies.compare(pos, key.size(), key) == 0) return cookies.substr(pos + key.size(), end - pos - key.size());
    pos = end;
  }
  return "";
}

bool constant_time_equal(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

}  // namespace

std::string new_token() {
  std::random_device device;  // getrandom(2) on Linux
  std::array<unsigned char, 16> bytes{};
  for (size_t i = 0; i < bytes.size(); i += 4) {
    const uint32_t v = device();
    for (size_t j = 0; j < 4; ++j) bytes[i + j] = static_cast<unsigned char>(v >> (8 * j));
  }
  return hex(bytes.data(), bytes.size());
}

std::string token_hash(const std::string& token) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int n = 0;
  if (EVP_Digest(token.data(), token.size(), digest.data(), &n, EVP_sha256(), nullptr) != 1)
    throw Error("token_hash: SHA-256 failed");
  return hex(digest.data(), n);
}

namespace {

json run_config(const fs::path& stimuli, const json& manifest, const DesignOptions& design, bool simulated) {
  json config = {{"stimuli", fs::weakly_canonical(stimuli).string()},
                 {"manifest", std::to_string(text_hash(manifest.dump()))},
                 {"design", design.to_json()}};
  if (simulated) config["observers"] = "simulated";
  return config;
}

}  // namespace

std::optional<int64_t> find_experiment_run(const Store& store, const fs::path& stimuli, const json& manifest,
                                           const DesignOptions& design, bool simulated) {
  const json config = run_config(stimuli, manifest, design, simulated);
  for (const auto& run : store.runs()) {
    if (run.command == kCommand && run.config == config) return run.id;
  }
  return std::nullopt;
}

int64_t experiment_run(Store& store, const fs::path& stimuli, const json& manifest, const DesignOptions& design,
                       bool simulated) {
  if (const auto run = find_experiment_run(store, stimuli, manifest, design, simulated)) return *run;
  return store.begin_run(kCommand, run_config(stimuli, manifest, design, simulated), design.seed, /*persistent=*/true);
}

std::vector<ParticipantAnswers> experiment_answers(Store& store, int64_t run_id, const json& manifest,
                                                   const DesignOptions& design) {
  std::map<int64_t, ParticipantAnswers> by_id;
  for (const auto& p : store.participants(run_id)) {
    by_id[p.id] = ParticipantAnswers{p.id, p.slot, make_session(manifest, design, p.slot), {}};
  }
  for (const auto& r : store.responses(run_id)) {
    auto& p = by_id.at(r.participant_id);
    if (r.trial == static_cast<int64_t>(p.answers.size())) p.answers.push_back(r.data);  // stored in order
  }
  std::vector<ParticipantAnswers> out;
  for (auto& [id, p] : by_id) out.push_back(std::move(p));
  return out;
}

void SimulateOptions::validate() const {
  if (participants < 1) throw InvalidArgument("simulate: participants must be >= 1, got " + std::to_string(participants));
  if (!(noise >= 0) || !std::isfinite(noise)) throw InvalidArgument("simulate: noise must be >= 0");
}

std::vector<ParticipantAnswers> simulate_answers(const json& manifest, const DesignOptions& design,
                                                 const SimulateOptions& o, int64_t first_slot) {
  o.validate();
  std::vector<ParticipantAnswers> out;
  for (int64_t p = 0; p < o.participants; ++p) {
    const int64_t slot = first_slot + p;
    ParticipantAnswers a{slot + 1, slot, make_session(manifest, design, slot), {}};
    std::mt19937_64 rng = make_rng(o.seed, static_cast<uint64_t>(slot));
    std::normal_distribution<double> normal;
    for (const auto& t : a.trials) {
      const auto& unit = manifest.at("units")[static_cast<size_t>(t.unit)];
      const double range = std::max(1e-12, unit.at("natural_max").get<double>() - unit.at("natural_min").get<double>());
      // Evidence for "left": none (a guess) without references.
      const double evidence = t.condition == "none" ? normal(rng)
                                                    : (t.left_activation - t.right_activation) / range + o.noise * normal(rng);
      const double strength = std::abs(evidence) / std::max(o.noise, 0.05);
      const int confidence = strength > 2 ? 3 : strength > 1 ? 2 : 1;
      const double rt_ms = 2000.0 * std::exp(0.4 * normal(rng) - 0.1 * confidence);
      const int choice = evidence > 0 ? 0 : 1;
      a.answers.push_back({{"choice", choice}, {"confidence", confidence}, {"rt_ms", std::round(rt_ms)},
                           {"correct", choice == t.correct}});
    }
    out.push_back(std::move(a));
  }
  return out;
}

void simulate_observers(Store& store, int64_t run_id, const json& manifest, const DesignOptions& design,
                        const SimulateOptions& o) {
  const auto first_slot = static_cast<int64_t>(store.participants(run_id).size());
  for (const auto& a : simulate_answers(manifest, design, o, first_slot)) {
    const int64_t id = store.add_participant(run_id, token_hash(new_token()), a.slot);
    for (size_t i = 0; i < a.answers.size(); ++i) store.add_response(id, static_cast<int64_t>(i), a.answers[i]);
  }
}

std::optional<AnswerBody> parse_answer(const std::string& text) {
  const json body = json::parse(text, nullptr, false);
  if (!body.is_object()) return std::nullopt;
  const auto integer = [&body](const char* key) -> std::optional<int64_t> {
    if (!body.contains(key) || !body[key].is_number_integer()) return std::nullopt;
    return body[key].get<int64_t>();
  };
  const auto trial = integer("trial"), choice = integer("choice"), confidence = integer("confidence");
  if (!trial || !choice || !confidence || (*choice != 0 && *choice != 1) || *confidence < 1 || *confidence > 3)
    return std::nullopt;
  if (!body.contains("rt_ms") || !body["rt_ms"].is_number()) return std::nullopt;
  const double rt = body["rt_ms"].get<double>();
  if (!std::isfinite(rt) || rt < 0 || rt >= 1e9) return std::nullopt;
  return AnswerBody{*trial, *choice, *confidence, rt};
}

void WebExperimentOptions::validate() const {
  design.validate();
  server.validate();
  if (max_participants < 0) throw InvalidArgument("experiment: max_participants must be >= 0");
}

WebExperiment::WebExperiment(Store& store, WebExperimentOptions options)
    : store_(store), options_(std::move(options)) {
  options_.validate();
  manifest_ = read_manifest(options_.stimuli);
  // Every slot's session has the same length; building one also checks the design against the stimuli.
  trials_per_session_ = static_cast<int64_t>(make_session(manifest_, options_.design, 0).size());
  run_id_ = experiment_run(store_, options_.stimuli, manifest_, options_.design);
  operator_token_ = new_token();
  server_ = make_http_server(options_.server);
  routes();
}

WebExperiment::~WebExperiment() { stop(); }

int WebExperiment::bind() { return bind_http_server(*server_, options_.server); }

void WebExperiment::serve() { listen_until_interrupted(*server_); }

void WebExperiment::stop() {
  if (server_) server_->stop();
}

std::shared_ptr<const std::vector<Trial>> WebExperiment::session(int64_t slot) {
  auto& s = sessions_[slot];
  if (!s) s = std::make_shared<const std::vector<Trial>>(make_session(manifest_, options_.design, slot));
  return s;
}

json WebExperiment::status() const {
  std::lock_guard lock(mutex_);
  const auto participants = store_.participants(run_id_);
  const int64_t total = trials_per_session_;
  json list = json::array();
  int64_t completed = 0, answers = 0;
  for (const auto& p : participants) {
    list.push_back({{"participant", p.id}, {"slot", p.slot}, {"answered", p.answered}, {"started", p.created_at}});
    completed += p.answered >= total ? 1 : 0;
    answers += p.answered;
  }
  return {{"run", run_id_}, {"participants", participants.size()}, {"completed", completed},
          {"answers", answers}, {"trials_per_session", total}, {"sessions", list}};
}

void WebExperiment::routes() {
  auto& srv = *server_;
  // The participant behind a request, or nothing (the response is then set to 401).
  const auto participant = [this](const httplib::Request& req, httplib::Response& res) -> std::optional<ParticipantRecord> {
    const std::string token = request_token(req);
    if (token.size() == 32) {
      if (auto p = store_.participant(run_id_, token_hash(token))) return p;
    }
    send_json(res, 401, {{"error", "no session: open the experiment's start page"}});
    return std::nullopt;
  };

  srv.Get("/", [](const httplib::Request&, httplib::Response& res) {
    res.set_header("Cache-Control", "no-store");
    res.set_header("Content-Security-Policy", "default-src 'self'; style-src 'self' 'unsafe-inline'; script-src 'self' 'unsafe-inline'");
    res.set_content(std::string(experiment_page()), "text/html; charset=utf-8");
  });

  srv.Post("/api/join", [this](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lock(mutex_);
    const std::string old = request_token(req);
    if (old.size() == 32 && store_.participant(run_id_, token_hash(old))) {
      send_json(res, 200, {{"resumed", true}});
      return;
    }
    const auto count = static_cast<int64_t>(store_.participants(run_id_).size());
    if (options_.max_participants > 0 && count >= options_.max_participants) {
      send_json(res, 403, {{"error", "this experiment is full"}});
      return;
    }
    const std::string token = new_token();
    store_.add_participant(run_id_, token_hash(token), count);
    res.set_header("Set-Cookie", std::string(kCookie) + "=" + token + "; Path=/; HttpOnly; SameSite=Strict; Max-Age=2592000");
    send_json(res, 200, {{"resumed", false}});
  });

  srv.Get("/api/trial", [this, participant](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lock(mutex_);
    const auto p = participant(req, res);
    if (!p) return;
    const auto trials = session(p->slot);
    const auto total = static_cast<int64_t>(trials->size());
    if (p->answered >= total) {
      send_json(res, 200, {{"done", true}, {"total", total}});
      return;
    }
    send_json(res, 200, trial_for_client((*trials)[static_cast<size_t>(p->answered)], total));
  });

  srv.Get(R"(/api/image/([a-z]/[a-z]+(?:/[0-9]{1,3})?))", [this, participant](const httplib::Request& req, httplib::Response& res) {
    std::shared_ptr<const std::vector<Trial>> trials;
    std::optional<ParticipantRecord> p;
    {
      std::lock_guard lock(mutex_);
      p = participant(req, res);
      if (!p) return;
      trials = session(p->slot);
    }
    if (p->answered >= static_cast<int64_t>(trials->size())) {
      send_json(res, 404, {{"error", "the session is complete"}});
      return;
    }
    const std::string file = trial_image((*trials)[static_cast<size_t>(p->answered)], req.matches[1]);
    if (file.empty()) {
      send_json(res, 404, {{"error", "no such image in the current trial"}});
      return;
    }
    try {
      res.set_header("Cache-Control", "no-store");
      res.set_content(read_file(options_.stimuli / file), "image/png");
    } catch (const Error& e) {
      log_warning(std::string("experiment: ") + e.what());
      send_json(res, 500, {{"error", "stimulus missing on the server"}});
    }
  });

  srv.Post("/api/answer", [this, participant](const httplib::Request& req, httplib::Response& res) {
    const std::optional<AnswerBody> answer = parse_answer(req.body);
    if (!answer) {
      send_json(res, 400, {{"error", "malformed answer: needs trial, choice 0|1, confidence 1..3 and rt_ms >= 0"}});
      return;
    }
    const auto trial = &answer->trial;
    std::lock_guard lock(mutex_);
    const auto p = participant(req, res);
    if (!p) return;
    const auto trials = session(p->slot);
    const auto total = static_cast<int64_t>(trials->size());
    if (*trial != p->answered) {
      send_json(res, 409, {{"error", *trial < p->answered ? "trial " + std::to_string(*trial) + " was answered already"
                                                          : "trial " + std::to_string(*trial) + " was not issued to you"},
                           {"next", p->answered}});
      return;
    }
    const Trial& t = (*trials)[static_cast<size_t>(*trial)];
    const json data = {{"choice", answer->choice}, {"confidence", answer->confidence}, {"rt_ms", answer->rt_ms},
                       {"correct", answer->choice == t.correct}};
    bool stored = false;
    try {
      stored = store_.add_response(p->id, *trial, data);
    } catch (const Error& e) {
      log_warning(std::string("experiment: an answer could not be stored: ") + e.what());
      send_json(res, 503, {{"error", "the answer could not be stored; please try again"}});
      return;
    }
    if (!stored) {
      send_json(res, 409, {{"error", "trial " + std::to_string(*trial) + " was answered already"}, {"next", p->answered + 1}});
      return;
    }
    send_json(res, 200, {{"stored", true}, {"next", *trial + 1}, {"done", *trial + 1 >= total}});
  });

  srv.Get("/operator", [this](const httplib::Request& req, httplib::Response& res) {
    if (!constant_time_equal(req.get_param_value("token"), operator_token_)) {
      send_json(res, 403, {{"error", "operator token required"}});
      return;
    }
    send_json(res, 200, status());
  });

  srv.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
    std::string what = "internal error";
    try {
      std::rethrow_exception(ep);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
    log_warning("experiment: " + what);
    send_json(res, 500, {{"error", "internal error"}});
  });
}

}  // namespace robustlab::psychophysics
