// The web version of the 2AFC experiment of Borowski et al. 2021 (arXiv:2010.12606; the reference
// ran it in PsychoPy, human_experiments/ of bethgelab/testing_visualizations): a participant opens
// the page, consents, reads the instructions and answers the session of design.h in the browser
// (keys 1–6 or the mouse: which query activates the unit more, with three levels of confidence);
// each answer is stored in the results database as it is given.
//
// Security model: a participant is known only by a 128-bit random token in an HttpOnly cookie
// (only its SHA-256 is stored). Every request answers for that participant alone: the next trial,
// the images of that trial (by names like "q/left" resolved on the server, never by path), and the
// answer to that trial. There is no listing of participants and no way to name another one. The
// operator page, with completion counts, needs the operator token printed at start.
//
// Answers: stored once (the database's key is participant and trial); an answer to any trial but
// the participant's next one, a replayed or malformed answer, gets 409 or 400 and stores nothing. A
// failing store (a full disk) gets 503 and the participant's browser retries. The experiment is
// one run in the store; restarting `serve` on the same stimuli and design continues that run, and a
// participant whose browser closed resumes at their next trial.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "robustlab/psychophysics/design.h"
#include "robustlab/report/server.h"
#include "robustlab/store/store.h"

namespace robustlab::psychophysics {

/// The experiment's run in `store` for these stimuli and this design (of simulated observers or of
/// people: they never share a run), if there is one.
std::optional<int64_t> find_experiment_run(const Store& store, const std::filesystem::path& stimuli,
                                           const nlohmann::json& manifest, const DesignOptions& design, bool simulated = false);
/// find_experiment_run, or a new run.
int64_t experiment_run(Store& store, const std::filesystem::path& stimuli, const nlohmann::json& manifest,
                       const DesignOptions& design, bool simulated = false);

/// Every participant's session and answers of the experiment run `run_id`.
std::vector<ParticipantAnswers> experiment_answers(Store& store, int64_t run_id, const nlohmann::json& manifest,
                                                   const DesignOptions& design);

/// A simulated observer, to run the pipeline without people: with references it picks the query
/// whose recorded activation (the model's own, from the stimulus manifest) plus Gaussian noise of
/// sd `noise` · (the unit's natural activation range) is larger; without references it guesses.
/// Confidence grows with the size of the noisy difference; reaction times are log-normal around 2 s.
struct SimulateOptions {
  int64_t participants = 10;
  double noise = 0.25;
  uint64_t seed = 0;
  void validate() const;
};

/// The whole sessions of `options.participants` simulated participants in slots first_slot, ….
std::vector<ParticipantAnswers> simulate_answers(const nlohmann::json& manifest, const DesignOptions& design,
                                                 const SimulateOptions& options, int64_t first_slot = 0);

/// Adds `options.participants` simulated participants to the experiment run `run_id` (slots after
/// the existing ones) and stores their answers, as the server would.
void simulate_observers(Store& store, int64_t run_id, const nlohmann::json& manifest, const DesignOptions& design,
                        const SimulateOptions& options);

/// A fresh 128-bit random token as 32 hex digits, and its SHA-256 in hex.
std::string new_token();
std::string token_hash(const std::string& token);

/// The body of POST /api/answer: {"trial": int, "choice": 0|1, "confidence": 1..3, "rt_ms": finite
/// number in [0, 1e9)}. nullopt for anything else (not JSON, missing or mistyped fields, out of range).
struct AnswerBody {
  int64_t trial = 0;
  int64_t choice = 0;
  int64_t confidence = 0;
  double rt_ms = 0;
};
std::optional<AnswerBody> parse_answer(const std::string& body);

struct WebExperimentOptions {
  std::filesystem::path stimuli;  ///< a stimulus set (write_stimuli)
  DesignOptions design;
  HttpServerOptions server;
  int64_t max_participants = 0;   ///< 0: no limit
  void validate() const;
};

class WebExperiment {
 public:
  /// Loads the stimuli, finds or creates the run in `store` and sets up the routes.
  WebExperiment(Store& store, WebExperimentOptions options);
  ~WebExperiment();
  WebExperiment(const WebExperiment&) = delete;
  WebExperiment& operator=(const WebExperiment&) = delete;

  /// Binds; returns the port.
  int bind();
  /// Serves until stop() (from another thread) or Ctrl-C (robustlab's interrupt flag).
  void serve();
  void stop();

  int64_t run_id() const { return run_id_; }
  const std::string& operator_token() const { return operator_token_; }
  /// Participants and completed sessions so far.
  nlohmann::json status() const;

 private:
  void routes();
  std::shared_ptr<const std::vector<Trial>> session(int64_t slot);

  Store& store_;
  WebExperimentOptions options_;
  nlohmann::json manifest_;
  int64_t run_id_ = 0;
  int64_t trials_per_session_ = 0;
  std::string operator_token_;
  std::unique_ptr<httplib::Server> server_;
  mutable std::mutex mutex_;  // the store and the session cache
  std::map<int64_t, std::shared_ptr<const std::vector<Trial>>> sessions_;
};

}  // namespace robustlab::psychophysics
