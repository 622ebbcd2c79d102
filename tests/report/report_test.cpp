// The HTML report: a section per kind of stored result, CSV links, no external URL, escaping, and
// empty-state pages for an empty store and a missing run.
#include <gtest/gtest.h>

#include "robustlab/report/report.h"
#include "test_support.h"

namespace robustlab::report {
namespace {

bool has(const std::string& html, const std::string& text) { return html.find(text) != std::string::npos; }

TEST(Report, HasASectionForEachKindOfResult) {
  testing::TempDir dir;
  Store store(dir / "r.db");
  const int64_t run = store.begin_run("eval", {{"model", "m.pt"}}, 3);
  std::vector<ResultRow> rows = {{"<script>m</script>", "fmnist", {}, "error", 0.125, 100}};
  for (const char* c : {"fog", "contrast"})
    for (int s = 1; s <= 2; ++s)
      rows.push_back({"m", "fmnist", {{"corruption", c}, {"severity", s}, {"adapt", "bn"}}, "error", 0.1 * s, 100});
  rows.push_back({"m", "fmnist", {{"adapt", "bn"}, {"baseline", "alexnet"}}, "mce", 0.7, 100});
  for (const char* c : {"fog", "contrast"})  // a continual stream: its own heatmap, table row and curve
    rows.push_back({"m", "fmnist", {{"corruption", c}, {"severity", 5}, {"adapt", "tent"}, {"protocol", "continual"}},
                    "error", 0.375, 100});
  rows.push_back({"m", "fmnist", {{"adapt", "bn"}, {"baseline", "alexnet"}, {"corruption", "fog"}}, "ce", 0.61, 100});
  for (int i = 0; i < 4; ++i)
    rows.push_back({"m", "fmnist", {{"attack", "fmn"}, {"norm", "L2"}, {"sample", i}}, "min_norm", 0.5 * (i + 1), 1});
  rows.push_back({"m", "fmnist", {{"attack", "fmn"}, {"norm", "L2"}}, "median_norm", 1.25, 4});
  rows.push_back({"resnet50", "model-vs-human", {}, "error_consistency", 0.208, 0});
  rows.push_back({"resnet50", "sketch", {}, "error_consistency", 0.3, 0});
  rows.push_back({"resnet50", "cue-conflict", {}, "shape_bias", 0.214, 620});
  store.add_results(run, rows);
  store.finish_run(run, RunStatus::kCompleted);

  const std::string html = render_html(store);
  for (const char* id : {"id=\"clean\"", "id=\"corruptions\"", "id=\"adversarial\"", "id=\"human\"", "id=\"runs\""})
    EXPECT_TRUE(has(html, id)) << id;
  EXPECT_TRUE(has(html, "<svg"));
  EXPECT_TRUE(has(html, "data:text/csv"));
  EXPECT_TRUE(has(html, "robust_accuracy_L2.csv"));
  EXPECT_TRUE(has(html, "shape_bias.csv"));
  EXPECT_TRUE(has(html, "0.7000"));  // the mCE row
  EXPECT_TRUE(has(html, "ce.csv"));   // CE per corruption
  EXPECT_TRUE(has(html, "m · tent · continual (run"));
  EXPECT_TRUE(has(html, "corruption_errors_run1_tent_continual.csv"));
  EXPECT_TRUE(has(html, "method_protocol.csv"));
  EXPECT_TRUE(has(html, "stream_errors.csv"));
  EXPECT_TRUE(has(html, "0.3750"));
  EXPECT_TRUE(has(html, "duration"));
  EXPECT_TRUE(has(html, "&lt;script&gt;m&lt;/script&gt;"));
  EXPECT_FALSE(has(html, "<script>m</script>"));
  EXPECT_FALSE(has(html, "http://"));
  EXPECT_FALSE(has(html, "https://"));
  EXPECT_FALSE(has(html, "id=\"empty\""));

  // One run only, and the page reloads itself when asked to.
  const std::string one = render_html(store, {.run = run, .refresh_seconds = 5});
  EXPECT_TRUE(has(one, "run " + std::to_string(run)));
  EXPECT_TRUE(has(one, "http-equiv=\"refresh\""));
}

TEST(Report, ObjectsSectionHasTheMotTableAndTheTrainingCurve) {
  testing::TempDir dir;
  Store store(dir / "r.db");
  const int64_t run = store.begin_run("benchmark", {}, 3);
  std::vector<ResultRow> rows;
  for (const auto& [metric, value] : std::vector<std::pair<std::string, double>>{
           {"mota", 21.6}, {"motp", 77.8}, {"mostly_detected", 61.4}, {"false_positives", 46.4}, {"mse", 30.19}})
    rows.push_back({"slot-video", "vmds/vmds", {}, metric, value, 2032});
  rows.push_back({"slot-video", "vmds/occlusion", {}, "mota", -3.25, 500});
  rows.push_back({"other", "elsewhere", {}, "mse", 7.0, 1});  // an MSE without MOT metrics: not a row here
  for (int step = 1; step <= 3; ++step) rows.push_back({"slot-video", "cache", {{"step", 100 * step}}, "train_mse", 0.03 / step, 32});
  store.add_results(run, rows);
  store.finish_run(run, RunStatus::kCompleted);
  const std::string html = render_html(store);
  EXPECT_TRUE(has(html, "id=\"objects\""));
  EXPECT_TRUE(has(html, "objects.csv"));
  EXPECT_TRUE(has(html, "slot_video_mse.csv"));
  EXPECT_TRUE(has(html, "slot-video · vmds/vmds"));
  EXPECT_TRUE(has(html, "slot-video · vmds/occlusion"));
  EXPECT_TRUE(has(html, "21.6"));
  EXPECT_TRUE(has(html, "-3.2"));
  EXPECT_FALSE(has(html, "other · elsewhere"));
  EXPECT_FALSE(has(html, "id=\"disentanglement\""));  // MOT rows are not disentanglement metrics
}

TEST(Report, PitfallsSectionHasTheRecognitionGapAndItsPublishedPeers) {
  testing::TempDir dir;
  Store store(dir / "r.db");
  const int64_t run = store.begin_run("recognition-gap", {}, 0);
  std::vector<ResultRow> rows;
  for (int i = 0; i < 3; ++i)
    rows.push_back({"net", "fmnist", {{"image", i}, {"children", "ullman4"}}, "recognition_gap", 0.2 * i, 1});
  const nlohmann::json summary = {{"children", "ullman4"}, {"images", 3}};
  rows.push_back({"net", "fmnist", summary, "mean_recognition_gap", 0.3, 2});
  rows.push_back({"net", "fmnist", summary, "std_recognition_gap", 0.1, 2});
  rows.push_back({"net", "fmnist", summary, "mean_mirc_size", 17.5, 2});
  store.add_results(run, rows);
  store.finish_run(run, RunStatus::kCompleted);
  const std::string html = render_html(store);
  EXPECT_TRUE(has(html, "id=\"pitfalls\""));
  EXPECT_TRUE(has(html, "net · fmnist · ullman4 (run 1)"));
  EXPECT_TRUE(has(html, "0.300 ± 0.100"));
  EXPECT_TRUE(has(html, "17.5"));
  EXPECT_TRUE(has(html, "0.710 ± 0.050"));  // humans
  EXPECT_TRUE(has(html, "recognition_gaps.csv"));
}

TEST(Report, PitfallsSectionHasTheContourTableAndTheSvrtStudy) {
  testing::TempDir dir;
  Store store(dir / "r.db");
  const int64_t run = store.begin_run("pitfalls contour", {}, 0);
  store.add_results(run, {{"/tmp/c/resnet.ckpt", "white-lines", {{"criterion", "zero"}}, "accuracy", 0.5, 14},
                          {"/tmp/c/resnet.ckpt", "white-lines", {{"criterion", "optimised"}, {"threshold", 0.2}}, "accuracy",
                           0.625, 14},
                          {"net", "train", {{"epoch", 1}}, "accuracy", 0.9, 10}});  // not a contour row
  const int64_t svrt = store.begin_run("pitfalls svrt", {}, 0);
  for (int64_t n : {100, 1000})
    store.add_results(svrt, {{"resnet20_patch4", "svrt/problem_22", {{"train_size", n}, {"lr", 1e-3}, {"group", "same-different"}},
                              "best_test_accuracy", n == 100 ? 0.51 : 0.73, 2000},
                             {"resnet20_patch4", "svrt/same-different", {{"train_size", n}}, "mean_test_accuracy",
                              n == 100 ? 0.51 : 0.73, 1}});
  const std::string html = render_html(store);
  EXPECT_TRUE(has(html, "run 1 · resnet.ckpt"));
  EXPECT_TRUE(has(html, "50.0 (62.5)"));
  EXPECT_TRUE(has(html, "53.1 (58.8)"));  // the published white-lines numbers
  EXPECT_FALSE(has(html, "run 1 · net"));
  EXPECT_TRUE(has(html, "svrt.csv"));
  EXPECT_TRUE(has(html, "0.730"));
  EXPECT_TRUE(has(html, "run 2 · resnet20_patch4 · same-different"));
  EXPECT_TRUE(has(html, "ResNet-50 from scratch · spatial (Funke et al.)"));
}

TEST(Report, PsychophysicsSectionShowsConditionsWithIntervalsAndThePaper) {
  testing::TempDir dir;
  Store store(dir / "r.db");
  const int64_t run = store.begin_run("experiment analyze", {}, 0);
  const nlohmann::json c = {{"condition", "optimized"}};
  store.add_results(run, {{"humans", "e1.csv", c, "accuracy", 0.8, 10},
                          {"humans", "e1.csv", c, "accuracy_ci_low", 0.75, 10},
                          {"humans", "e1.csv", c, "accuracy_ci_high", 0.86, 10},
                          {"humans", "e1.csv", {{"layer", "natural · layer_0"}}, "accuracy", 0.7, 10}});
  const nlohmann::json unit = {{"layer", "layer3_2"}, {"channel", 1}};
  store.add_results(run, {{"net", "fmnist", unit, "natural_max_activation", 6.668, 10000},
                          {"net", "fmnist", unit, "synthetic_max_activation", 9.389, 10}});
  const std::string html = render_html(store);
  EXPECT_TRUE(has(html, "run 1 · net · layer3_2:1"));
  EXPECT_TRUE(has(html, "9.389"));
  EXPECT_TRUE(has(html, "run 1 · humans · e1.csv · optimized"));  // the bar's label
  EXPECT_TRUE(has(html, "id=\"psychophysics\""));
  EXPECT_TRUE(has(html, "run 1 · humans · e1.csv"));
  EXPECT_TRUE(has(html, "[0.750, 0.860]"));
  EXPECT_TRUE(has(html, "0.820 (Exp. I)"));
  EXPECT_FALSE(has(html, "natural · layer_0"));  // breakdowns are not conditions
}

TEST(Report, EmptyStoreAndMissingRunGiveAPageThatSaysSo) {
  testing::TempDir dir;
  Store store(dir / "r.db");
  const std::string empty = render_html(store);
  EXPECT_TRUE(has(empty, "id=\"empty\""));
  EXPECT_TRUE(has(empty, "is empty"));
  EXPECT_FALSE(has(empty, "<section"));
  const std::string missing = render_html(store, {.run = 42});
  EXPECT_TRUE(has(missing, "Run 42 does not exist"));
  write_report(store, {}, dir / "out.html");
  EXPECT_TRUE(std::filesystem::exists(dir / "out.html"));
}

}  // namespace
}  // namespace robustlab::report
