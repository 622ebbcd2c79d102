#include "robustlab/psychophysics/web_experiment.h"

#include <gtest/gtest.h>

#include <sys/resource.h>

#include <atomic>
#include <csignal>
#include <functional>
#include <mutex>
#include <thread>

#include "fake_stimuli.h"
#include "robustlab/core/error.h"
#include "test_support.h"

namespace robustlab::psychophysics {
namespace {

using nlohmann::json;

/// A server on a free port of 127.0.0.1, serving in a thread.
class Running {
 public:
  Running(Store& store, const std::filesystem::path& stimuli, DesignOptions design, int64_t max_participants = 0)
      : experiment_(store, WebExperimentOptions{.stimuli = stimuli, .design = design,
                                                .server = HttpServerOptions{.port = 0, .threads = 16},
                                                .max_participants = max_participants}) {
    port_ = experiment_.bind();
    thread_ = std::thread([this] { experiment_.serve(); });
  }
  ~Running() {
    experiment_.stop();
    thread_.join();
  }
  httplib::Client client() const {
    httplib::Client c("127.0.0.1", port_);
    c.set_read_timeout(10, 0);
    return c;
  }
  WebExperiment& experiment() { return experiment_; }

 private:
  WebExperiment experiment_;
  int port_ = 0;
  std::thread thread_;
};

/// A participant: joins and keeps their cookie.
struct Browser {
  httplib::Client client;
  httplib::Headers cookie;
  explicit Browser(httplib::Client c) : client(std::move(c)) {}
  int join() {
    auto r = client.Post("/api/join", cookie, "", "application/json");
    if (!r) return -1;
    const std::string set = r->get_header_value("Set-Cookie");
    if (!set.empty()) cookie = {{"Cookie", set.substr(0, set.find(';'))}};
    return r->status;
  }
  std::pair<int, json> get(const std::string& path) {
    auto r = client.Get(path.c_str(), cookie);
    if (!r) return {-1, {}};
    return {r->status, json::parse(r->body, nullptr, false)};
  }
  int answer(const json& body) {
    auto r = client.Post("/api/answer", cookie, body.dump(), "application/json");
    return r ? r->status : -1;
  }
};

TEST(WebExperiment, ParticipantsAnswerOnceAndOnlyTheirOwnTrials) {
  robustlab::testing::TempDir dir;
  fakes::fake_manifest(3, 4, 10, dir / "stimuli");
  Store store(dir / "results.db");
  const DesignOptions design{.main_trials = 2, .catch_trials = 1};
  int64_t run = 0;
  httplib::Headers a_cookie;
  {
    Running server(store, dir / "stimuli", design);
    run = server.experiment().run_id();
    Browser a(server.client()), b(server.client()), stranger(server.client());
    EXPECT_EQ(stranger.get("/api/trial").first, 401);
    EXPECT_EQ(stranger.answer({{"trial", 0}, {"choice", 0}, {"confidence", 1}, {"rt_ms", 10}}), 401);
    EXPECT_EQ(stranger.get("/api/image/q/left").first, 401);
    ASSERT_EQ(a.join(), 200);
    ASSERT_EQ(b.join(), 200);
    ASSERT_FALSE(a.cookie.empty());
    EXPECT_EQ(a.join(), 200);  // joining again resumes the same participant
    EXPECT_EQ(store.participants(run).size(), 2u);

    auto [status, trial] = a.get("/api/trial");
    ASSERT_EQ(status, 200);
    EXPECT_EQ(trial["trial"], 0);
    EXPECT_EQ(trial["total"], 2 + 3 + 3 + 2);
    auto img = a.client.Get("/api/image/q/left", a.cookie);
    ASSERT_TRUE(img);
    EXPECT_EQ(img->status, 200);
    EXPECT_EQ(img->get_header_value("Content-Type"), "image/png");
    EXPECT_EQ(img->body.substr(1, 3), "PNG");
    EXPECT_EQ(a.get("/api/image/r/max/0").first, 404);  // none_pre has no references
    EXPECT_EQ(a.get("/api/image/..%2Fstimuli.json").first, 404);
    EXPECT_EQ(a.get("/api/image/q/../../results.db").first, 404);

    // Malformed, tampered and replayed answers store nothing.
    EXPECT_EQ(a.answer({{"trial", 0}, {"choice", 2}, {"confidence", 1}, {"rt_ms", 10}}), 400);
    EXPECT_EQ(a.answer({{"trial", 0}, {"choice", 0}, {"confidence", 9}, {"rt_ms", 10}}), 400);
    EXPECT_EQ(a.answer({{"trial", 0}, {"choice", 0}, {"confidence", 1}}), 400);
    EXPECT_EQ(a.answer({{"trial", "0"}, {"choice", 0}, {"confidence", 1}, {"rt_ms", 10}}), 400);
    auto raw = a.client.Post("/api/answer", a.cookie, "{not json", "application/json");
    ASSERT_TRUE(raw);
    EXPECT_EQ(raw->status, 400);
    EXPECT_EQ(a.answer({{"trial", 1}, {"choice", 0}, {"confidence", 1}, {"rt_ms", 10}}), 409);  // not issued yet
    EXPECT_EQ(a.answer({{"trial", 0}, {"choice", 1}, {"confidence", 3}, {"rt_ms", 812.5}}), 200);
    EXPECT_EQ(a.answer({{"trial", 0}, {"choice", 0}, {"confidence", 1}, {"rt_ms", 10}}), 409);  // replayed
    EXPECT_EQ(a.get("/api/trial").second["trial"], 1);
    EXPECT_EQ(b.get("/api/trial").second["trial"], 0);  // b's progress is b's own

    // The operator page needs the operator token.
    EXPECT_EQ(a.get("/operator").first, 403);
    EXPECT_EQ(a.get("/operator?token=" + std::string(32, '0')).first, 403);
    auto [ostatus, op] = a.get("/operator?token=" + server.experiment().operator_token());
    ASSERT_EQ(ostatus, 200);
    EXPECT_EQ(op["participants"], 2);
    EXPECT_EQ(op["answers"], 1);
    // The page is served.
    auto page = a.client.Get("/");
    ASSERT_TRUE(page);
    EXPECT_NE(page->body.find("/api/answer"), std::string::npos);

    // A restart continues the run, and the participant resumes at their next trial.
    const auto responses = store.responses(run);
    ASSERT_EQ(responses.size(), 1u);
    EXPECT_EQ(responses[0].data["choice"], 1);
    EXPECT_EQ(responses[0].data["confidence"], 3);
    EXPECT_DOUBLE_EQ(responses[0].data["rt_ms"].get<double>(), 812.5);
    a_cookie = a.cookie;
  }
  Running again(store, dir / "stimuli", design, 2);
  EXPECT_EQ(again.experiment().run_id(), run);
  Browser a2(again.client());
  a2.cookie = a_cookie;  // the same browser, after the server restarted
  auto [s0, t0] = a2.get("/api/trial");
  EXPECT_EQ(s0, 200);
  EXPECT_EQ(t0["trial"], 1);
  EXPECT_EQ(a2.join(), 200);  // resumes, does not take a new place
  Browser c(again.client());
  EXPECT_EQ(c.join(), 403);  // full: at most 2 participants
}

// 50 participants at once, each answering every trial of a session and sending every answer twice
// (as a browser retrying after a lost reply would): each answer is stored exactly once. Like the
// page, a participant sends a request again after a lost connection or a 503 (a transient failure,
// seen once in 700 answers with another test beside it on 2 cores); any other status fails the
// test, with every unexpected status listed.
TEST(WebExperiment, FiftyConcurrentParticipantsStoreEveryAnswerOnce) {
  robustlab::testing::TempDir dir;
  fakes::fake_manifest(3, 4, 10, dir / "stimuli");
  Store store(dir / "results.db");
  const DesignOptions design{.main_trials = 3, .catch_trials = 1};
  Running server(store, dir / "stimuli", design);
  constexpr int kParticipants = 50;
  std::atomic<int> stored{0}, duplicates{0}, retries{0};
  std::mutex mutex;
  std::vector<std::string> unexpected;
  const auto fail = [&](const std::string& what) {
    std::lock_guard lock(mutex);
    unexpected.push_back(what);
  };
  // `send` until it is neither a lost connection (-1) nor a 503, at most 5 times.
  const auto with_retries = [&](const std::function<int()>& send) {
    int status = send();
    for (int attempt = 1; (status == -1 || status == 503) && attempt < 5; ++attempt) {
      ++retries;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      status = send();
    }
    return status;
  };
  std::vector<std::thread> threads;
  for (int p = 0; p < kParticipants; ++p) {
    threads.emplace_back([&] {
      Browser b(server.client());
      if (const int status = with_retries([&] { return b.join(); }); status != 200) {
        fail("join: " + std::to_string(status));
        return;
      }
      for (int guard = 0; guard < 100; ++guard) {
        json trial;
        const int status = with_retries([&] {
          auto [code, body] = b.get("/api/trial");
          trial = body;
          return code;
        });
        if (status != 200) {
          fail("trial: " + std::to_string(status));
          return;
        }
        if (trial.value("done", false)) return;
        if (const int image = with_retries([&] { return b.get("/api/image/q/right").first; }); image != 200)
          fail("image: " + std::to_string(image));
        const json answer = {{"trial", trial["trial"]}, {"choice", guard % 2}, {"confidence", 2}, {"rt_ms", 100}};
        // A retried first send may find its answer stored by the lost one (409), as the page accepts.
        const int first = with_retries([&] { return b.answer(answer); });
        if (first == 200 || first == 409) ++stored; else fail("answer: " + std::to_string(first));
        const int again = with_retries([&] { return b.answer(answer); });
        if (again == 409) ++duplicates; else fail("answer again: " + std::to_string(again));
      }
      fail("never finished");
    });
  }
  for (auto& t : threads) t.join();
  std::string listed;
  for (const auto& u : unexpected) listed += u + "; ";
  EXPECT_TRUE(unexpected.empty()) << listed;
  EXPECT_LT(retries.load(), 50) << "transient failures should be rare";
  const int per_session = 3 + 4 + 4 + 3;
  EXPECT_EQ(stored.load(), kParticipants * per_session);
  EXPECT_EQ(duplicates.load(), kParticipants * per_session);
  const auto run = server.experiment().run_id();
  EXPECT_EQ(store.responses(run).size(), static_cast<size_t>(kParticipants * per_session));
  const auto answers = experiment_answers(store, run, read_manifest(dir / "stimuli"), design);
  ASSERT_EQ(answers.size(), static_cast<size_t>(kParticipants));
  std::set<int64_t> slots;
  for (const auto& a : answers) {
    EXPECT_EQ(a.answers.size(), static_cast<size_t>(per_session));
    slots.insert(a.slot);
  }
  EXPECT_EQ(slots.size(), static_cast<size_t>(kParticipants));  // every participant its own slot
}

TEST(WebExperiment, SimulatedObserversFillTheRunAndTheAnalysisSeesTheirNoise) {
  robustlab::testing::TempDir dir;
  const json manifest = fakes::fake_manifest(3, 4, 10);
  Store store(dir / "results.db");
  const DesignOptions design{.main_trials = 6, .catch_trials = 2};
  const auto accuracy = [&](double noise, uint64_t seed) {
    const int64_t run = experiment_run(store, dir / ("s" + std::to_string(seed)), manifest, design);
    simulate_observers(store, run, manifest, design, SimulateOptions{.participants = 20, .noise = noise, .seed = seed});
    const auto records = experiment_records(manifest, experiment_answers(store, run, manifest, design));
    EXPECT_EQ(records.size(), 20u * (6 + 8 + 8 + 6));
    return accuracy_by(records, [](const TrialRecord& r) { return r.condition; });
  };
  const auto precise = accuracy(0.05, 1);
  EXPECT_DOUBLE_EQ(precise.at("natural").mean, 1.0);
  EXPECT_DOUBLE_EQ(precise.at("optimized").mean, 1.0);
  EXPECT_NEAR(precise.at("none_pre").mean, 0.5, 0.15);  // no references: a guess
  EXPECT_EQ(precise.at("natural").participants, 20);
  const auto noisy = accuracy(3.0, 2);
  EXPECT_LT(noisy.at("natural").mean, 0.8);
  EXPECT_GT(noisy.at("natural").mean, 0.5);
  EXPECT_THROW(simulate_observers(store, 1, manifest, design, SimulateOptions{.participants = 0}), InvalidArgument);
}

// A full disk while storing (file writes capped with RLIMIT_FSIZE): the answer gets 503 and nothing
// is stored; once there is room, the participant's retry is stored once.
TEST(WebExperiment, AFullDiskRefusesTheAnswerAndTheRetryIsStoredOnce) {
  robustlab::testing::TempDir dir;
  fakes::fake_manifest(2, 2, 10, dir / "stimuli");
  Store store(dir / "results.db");
  Running server(store, dir / "stimuli", DesignOptions{.main_trials = 2, .catch_trials = 0});
  Browser a(server.client());
  ASSERT_EQ(a.join(), 200);
  const json answer = {{"trial", 0}, {"choice", 0}, {"confidence", 2}, {"rt_ms", 700}};
  std::signal(SIGXFSZ, SIG_IGN);  // a write past the limit then fails with EFBIG instead of killing us
  rlimit saved{};
  ASSERT_EQ(getrlimit(RLIMIT_FSIZE, &saved), 0);
  rlimit full = saved;
  full.rlim_cur = 0;  // no file may grow
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &full), 0);
  const int refused = a.answer(answer);
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &saved), 0);
  EXPECT_EQ(refused, 503);
  EXPECT_TRUE(store.responses(server.experiment().run_id()).empty());
  EXPECT_EQ(a.get("/api/trial").second["trial"], 0);  // still the same trial
  EXPECT_EQ(a.answer(answer), 200);
  EXPECT_EQ(a.answer(answer), 409);
  EXPECT_EQ(store.responses(server.experiment().run_id()).size(), 1u);
}

TEST(WebExperiment, RejectsABadSetUp) {
  robustlab::testing::TempDir dir;
  Store store(dir / "results.db");
  EXPECT_THROW(WebExperiment(store, WebExperimentOptions{.stimuli = dir / "none"}), IoError);
  fakes::fake_manifest(1, 2, 5, dir / "small");
  EXPECT_THROW(WebExperiment(store, WebExperimentOptions{.stimuli = dir / "small"}), InvalidArgument);  // 9 references need 10 images
  fakes::fake_manifest(1, 2, 10, dir / "ok");
  WebExperiment first(store, WebExperimentOptions{.stimuli = dir / "ok", .server = HttpServerOptions{.port = 0}});
  const int port = first.bind();
  WebExperiment second(store, WebExperimentOptions{.stimuli = dir / "ok", .server = HttpServerOptions{.port = port}});
  EXPECT_THROW(second.bind(), IoError);  // port in use
  EXPECT_NE(new_token(), new_token());
  EXPECT_EQ(new_token().size(), 32u);
  EXPECT_EQ(token_hash("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");  // SHA-256 test vector
}

}  // namespace
}  // namespace robustlab::psychophysics
