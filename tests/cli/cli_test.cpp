// End-to-end tests of the robustlab program: help, bad input, eval and results export.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include <opencv2/imgcodecs.hpp>
#include <thread>

#include <sqlite3.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <torch/cuda.h>
#include <torch/script.h>

#include "robustlab/core/paths.h"
#include "robustlab/data/idx.h"
#include "robustlab/data/npy.h"
#include "robustlab/data/image_folder.h"
#include "robustlab/models/default_model.h"
#include "robustlab/models/load.h"
#include "robustlab/store/store.h"
#include "test_support.h"
#include "torchscript_models.h"

namespace robustlab {
namespace {

struct Output {
  int code;
  std::string out;  // stdout and stderr together
};

Output run(const std::string& args, const std::string& env = "") {
  const std::string cmd = (env.empty() ? "" : env + " ") + std::string(ROBUSTLAB_CLI) + " " + args + " 2>&1";
  FILE* pipe = popen(cmd.c_str(), "r");
  std::string out;
  std::array<char, 4096> buf{};
  while (size_t n = fread(buf.data(), 1, buf.size(), pipe)) out.append(buf.data(), n);
  const int status = pclose(pipe);
  return {WEXITSTATUS(status), out};
}

std::string model_path() { return (testing::shared_dir() / "reference/fmn/fmnist_cnn.pt").string(); }

TEST(Cli, HelpForEveryCommand) {
  for (const auto& cmd : {"", "train", "eval", "results", "benchmark", "attack", "human", "human run", "human compare",
                          "corrupt", "report", "serve", "info", "identify", "slowvae", "disentanglement", "objects",
                          "objects generate", "objects train", "objects predict", "objects eval", "recognition-gap",
                          "stimuli", "stimuli contour", "stimuli svrt", "pitfalls", "pitfalls contour",
                          "pitfalls svrt", "experiment", "experiment analyze"}) {
    const Output o = run(std::string(cmd) + " --help");
    EXPECT_EQ(o.code, 0) << cmd;
    EXPECT_NE(o.out.find("--"), std::string::npos) << cmd;
  }
  EXPECT_NE(run("eval --help").out.find("--model"), std::string::npos);
}

TEST(Cli, InfoAndVersionSayWhatRobustlabRunsOn) {
  const Output info = run("info --json");
  ASSERT_EQ(info.code, 0) << info.out;
  const nlohmann::json env = nlohmann::json::parse(info.out);
  EXPECT_EQ(env.at("blas"), "OpenBLAS") << info.out;  // scripts/setup.sh installs it
  EXPECT_EQ(nlohmann::json::parse(run("--threads 1 info --json").out).at("intra_op_threads"), 1);
  const Output version = run("--version");
  EXPECT_EQ(version.code, 0);
  EXPECT_NE(version.out.find("BLAS: OpenBLAS"), std::string::npos) << version.out;
  EXPECT_NE(version.out.find("LibTorch 1."), std::string::npos) << version.out;
  // On the reference BLAS (selected through the library path) every command warns, once.
  const Output slow = run("info 2>&1", "LD_LIBRARY_PATH=" ROBUSTLAB_REFERENCE_BLAS_DIR);
  EXPECT_EQ(slow.code, 0);
  EXPECT_NE(slow.out.find("warning: LibTorch runs on the reference BLAS"), std::string::npos) << slow.out;
  EXPECT_EQ(slow.out.find("warning:"), slow.out.rfind("warning:")) << slow.out;
  EXPECT_NE(slow.out.find("BLAS: reference BLAS (netlib)"), std::string::npos) << slow.out;
}

TEST(Cli, OpenBlasRunsKernelsForThisCpu) {
  // OpenBLAS 0.3.21 takes recent Xeons for a generic CPU (Prescott kernels); the CLI restarts itself
  // with OPENBLAS_CORETYPE for its CPU. A user's OPENBLAS_CORETYPE is left as it is.
  const std::string config = nlohmann::json::parse(run("info --json", "env -u OPENBLAS_CORETYPE").out).at("blas_detail");
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
    EXPECT_EQ(config.find("Prescott"), std::string::npos) << config;
  }
  const Output forced = run("info --json", "OPENBLAS_CORETYPE=Prescott");
  ASSERT_EQ(forced.code, 0) << forced.out;
  EXPECT_NE(nlohmann::json::parse(forced.out).at("blas_detail").get<std::string>().find("Prescott"), std::string::npos)
      << forced.out;
  EXPECT_EQ(run("info 2>&1", "OPENBLAS_CORETYPE=Prescott").out.find("warning:"), std::string::npos);
}

TEST(Cli, BadInputGivesOneLineAndNonZeroExit) {
  testing::TempDir dir;
  const std::string db = " --db " + (dir / "r.db").string();
  Output o = run("eval --model " + (dir / "missing.pt").string() + db);
  EXPECT_EQ(o.code, 3);
  EXPECT_NE(o.out.find("missing.pt' does not exist"), std::string::npos) << o.out;
  EXPECT_EQ(std::count(o.out.begin(), o.out.end(), '\n'), 1) << o.out;

  o = run("eval --model " + model_path() + " --dataset nowhere" + db);
  EXPECT_EQ(o.code, 2);
  EXPECT_NE(o.out.find("unknown dataset 'nowhere'"), std::string::npos) << o.out;

  o = run("train --model vgg16 --epochs 1 --limit 10" + db);
  EXPECT_EQ(o.code, 2);
  EXPECT_NE(o.out.find("unknown model architecture 'vgg16'"), std::string::npos) << o.out;

  EXPECT_NE(run("eval --model " + model_path() + " --threads 0" + db).code, 0);
  EXPECT_NE(run("frobnicate").code, 0);
  // Devices: an unknown name, and CUDA on a LibTorch without it, in one line each.
  o = run("eval --model " + model_path() + " --device gpu" + db);
  EXPECT_EQ(o.code, 2);
  EXPECT_NE(o.out.find("unknown device 'gpu'; use cpu, cuda or cuda:N"), std::string::npos) << o.out;
  EXPECT_EQ(std::count(o.out.begin(), o.out.end(), '\n'), 1) << o.out;
  if (!torch::cuda::is_available()) {
    o = run("attack --model " + model_path() + " --device cuda:0" + db);
    EXPECT_EQ(o.code, 2);
    EXPECT_NE(o.out.find("device 'cuda:0': this LibTorch was built without CUDA"), std::string::npos) << o.out;
    EXPECT_EQ(std::count(o.out.begin(), o.out.end(), '\n'), 1) << o.out;
  }

  // The failed runs are recorded as failed, with their message.
  Store store(dir / "r.db");
  const auto runs = store.runs();
  ASSERT_GE(runs.size(), 2u);
  for (const auto& r : runs) EXPECT_EQ(r.status, RunStatus::kFailed) << r.message;
  EXPECT_TRUE(store.results().empty());
}

TEST(Cli, EvalStoresResultsAndResultsExportsThem) {
  testing::TempDir dir;
  const std::string db = " --db " + (dir / "r.db").string();
  Output o = run("eval --json --quiet --model " + model_path() + " --limit 500" + db);
  ASSERT_EQ(o.code, 0) << o.out;
  const auto json = nlohmann::json::parse(o.out);
  EXPECT_EQ(json.at("total"), 500);
  EXPECT_GT(json.at("accuracy").get<double>(), 0.85);

  o = run("results --format csv" + db);
  ASSERT_EQ(o.code, 0) << o.out;
  EXPECT_EQ(o.out.rfind("run_id,model,dataset,metric,value,count\n", 0), 0u) << o.out;
  EXPECT_NE(o.out.find(",fashion-mnist/test,accuracy,"), std::string::npos) << o.out;

  o = run("results --runs --json" + db);
  ASSERT_EQ(o.code, 0) << o.out;
  const auto runs = nlohmann::json::parse(o.out);
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].at("status"), "completed");
  EXPECT_EQ(runs[0].at("config").at("dataset").at("limit"), 500);

  EXPECT_EQ(run("results --run 99" + db).code, 2);
  EXPECT_EQ(run("results -o " + (dir / "t.txt").string() + db).code, 2);  // a table cannot go to -o
  ASSERT_EQ(run("results --format json -o " + (dir / "r.json").string() + db).code, 0);
  EXPECT_EQ(nlohmann::json::parse(std::ifstream(dir / "r.json")).size(), 2u);  // accuracy and error
  EXPECT_EQ(run("results --db " + (dir / "none.db").string()).code, 3);
}

TEST(Cli, TrainWritesACheckpointThatEvalReads) {
  testing::TempDir dir;
  const std::string db = " --db " + (dir / "r.db").string();
  const std::string ckpt = (dir / "m.ckpt").string();
  Output o = run("train --quiet --epochs 1 --limit 512 --no-val -o " + ckpt + db);
  ASSERT_EQ(o.code, 0) << o.out;
  o = run("eval --json --quiet --limit 200 --model " + ckpt + db);
  ASSERT_EQ(o.code, 0) << o.out;
  EXPECT_GT(nlohmann::json::parse(o.out).at("accuracy").get<double>(), 0.3);
}

TEST(Cli, EvalAndAttackWithoutModelUseTheCachedDefaultModel) {
  testing::TempDir dir;
  const std::string db = " --db " + (dir / "r.db").string();
  // An (untrained) default model in the cache the commands will look in, so nothing is trained here.
  DefaultModelOptions options;
  options.cache_dir = dir / "cache";
  ZooClassifier model(options.model);
  const std::filesystem::path checkpoint = default_model_path(options);
  save_checkpoint(model, checkpoint);
  ASSERT_EQ(setenv("ROBUSTLAB_CACHE", options.cache_dir.c_str(), 1), 0);
  const Output eval = run("eval --json --limit 64" + db);
  const Output attack = run("attack --json --quiet --limit 4 --steps 5" + db);
  unsetenv("ROBUSTLAB_CACHE");
  ASSERT_EQ(eval.code, 0) << eval.out;
  EXPECT_NE(eval.out.find("using the cached default model"), std::string::npos) << eval.out;
  ASSERT_EQ(attack.code, 0) << attack.out;
  Store store(dir / "r.db");
  const auto rows = store.results();
  ASSERT_FALSE(rows.empty());
  for (const auto& r : rows) EXPECT_EQ(r.row.model, checkpoint.string()) << r.row.metric;
  EXPECT_EQ(options.model.arch, "resnet20");
}

}  // namespace
}  // namespace robustlab

namespace robustlab {
namespace {

TEST(CliHuman, CompareReproducesTheBenchmarkAndStoresIt) {
  testing::TempDir dir;
  const std::string raw = (testing::shared_dir() / "data/model-vs-human/raw-data").string();
  const Output o = run("human compare --json --quiet --simulations 100 --raw-data " + raw + " --csv-dir " +
                       (dir / "csv").string() + " --db " + (dir / "r.db").string());
  ASSERT_EQ(o.code, 0) << o.out;
  const auto json = nlohmann::json::parse(o.out);
  bool found = false;
  for (const auto& r : json.at("results")) {
    if (r.at("model") == "resnet50" && r.at("dataset") == "model-vs-human" && r.at("metric") == "error_consistency") {
      EXPECT_NEAR(r.at("value").get<double>(), 0.208, 5e-4);
      found = true;
    }
  }
  EXPECT_TRUE(found);
  EXPECT_TRUE(std::filesystem::exists(dir / "csv" / "benchmark.csv"));
  EXPECT_TRUE(std::filesystem::exists(dir / "csv" / "shape_bias.csv"));
  Store store(dir / "r.db");
  EXPECT_FALSE(store.results({.metric = "shape_bias"}).empty());
  EXPECT_EQ(run("human compare --raw-data " + (dir / "none").string() + " --db " + (dir / "r.db").string()).code, 3);
  EXPECT_EQ(run("human compare --models vgg --raw-data " + raw + " --db " + (dir / "r.db").string()).code, 2);
}

}  // namespace
}  // namespace robustlab

namespace robustlab {
namespace {

TEST(CliHuman, RunWritesRawCsvsThatCompareReads) {
  testing::TempDir dir;
  testing::save_brightness_model(dir / "bright_model.pt");
  const auto stimuli = dir / "sketch" / "dnn" / "session-1";
  std::filesystem::create_directories(stimuli);
  cv::imwrite((stimuli / "0001_ske_dnn_0_airplane_00_airplane-0001-sketch-0.png").string(),
              cv::Mat(64, 64, CV_8UC3, cv::Scalar(255, 255, 255)));
  cv::imwrite((stimuli / "0002_ske_dnn_0_knife_00_knife-0002-sketch-0.png").string(),
              cv::Mat(64, 64, CV_8UC3, cv::Scalar(255, 255, 255)));
  const std::string db = " --db " + (dir / "r.db").string();
  Output o = run("human run --quiet --json --model " + (dir / "bright_model.pt").string() + " --images " +
                 (dir / "sketch").string() + " -o " + (dir / "raw").string() + db);
  ASSERT_EQ(o.code, 0) << o.out;
  const auto json = nlohmann::json::parse(o.out);
  EXPECT_EQ(json.at("observer"), "bright-model");
  EXPECT_DOUBLE_EQ(json.at("datasets")[0].at("accuracy").get<double>(), 0.5);
  EXPECT_TRUE(std::filesystem::exists(dir / "raw" / "sketch" / "sketch_bright-model_session-1.csv"));
  // A 10-class model cannot make 16-class decisions.
  o = run("human run --model " + model_path() + " --images " + (dir / "sketch").string() + " -o " +
          (dir / "raw2").string() + db);
  EXPECT_EQ(o.code, 5) << o.out;
}

}  // namespace
}  // namespace robustlab

namespace robustlab {
namespace {

TEST(CliAttack, StoresPerSampleNormsAndReportsTheCurve) {
  testing::TempDir dir;
  const std::string db = " --db " + (dir / "r.db").string();
  const std::string data = " --dataset " + (testing::shared_dir() / "reference/fmn/fmnist_test200.pt").string();
  Output o = run("attack --json --quiet --model " + model_path() + data + " --limit 8 --norm inf --steps 30 --alpha 10" +
                 " --attack fmn,pgd --epsilons 0,0.01,1" + db);
  ASSERT_EQ(o.code, 0) << o.out;
  const auto json = nlohmann::json::parse(o.out).at("attacks");
  ASSERT_EQ(json.size(), 3u);  // fmn, pgd and the per-sample best
  EXPECT_EQ(json[2].at("attack"), "best");
  EXPECT_EQ(json[0].at("images"), 8);
  EXPECT_DOUBLE_EQ(json[0].at("success_rate").get<double>(), 1.0);
  const auto& curve = json[2].at("robust_accuracy");
  EXPECT_DOUBLE_EQ(curve[0].at("robust_accuracy").get<double>(), 1.0);  // all 8 are correct at eps 0
  EXPECT_DOUBLE_EQ(curve[2].at("robust_accuracy").get<double>(), 0.0);  // and broken at eps 1
  // The best of two attacks is never worse than either.
  for (size_t a = 0; a < 2; ++a) {
    EXPECT_LE(json[2].at("median_norm").get<double>(), json[a].at("median_norm").get<double>());
  }
  Store store(dir / "r.db");
  EXPECT_EQ(store.results({.metric = "min_norm"}).size(), 16u);
  // Bad input.
  EXPECT_EQ(run("attack --model " + model_path() + data + " --norm 3" + db).code, 2);
  EXPECT_EQ(run("attack --model " + model_path() + data + " --steps 0" + db).code, 2);
  EXPECT_EQ(run("attack --model " + model_path() + data + " --attack ddn --norm inf" + db).code, 2);
  EXPECT_EQ(run("attack --model " + model_path() + data + " --attack cw" + db).code, 2);
}

// A folder with two classes, one image each, and one file that is not an image at all.
std::filesystem::path corrupt_input(const testing::TempDir& dir) {
  const auto in = dir / "in";
  std::filesystem::create_directories(in / "cat");
  std::filesystem::create_directories(in / "boot");
  const auto ref = testing::shared_dir() / "reference/corruptions/inputs";
  std::filesystem::copy_file(ref / "chelsea_40x48.png", in / "cat" / "chelsea.png");
  std::filesystem::copy_file(ref / "fmnist0_32.png", in / "boot" / "boot.JPEG");  // a PNG named .JPEG
  std::ofstream(in / "boot" / "broken.jpg") << "not an image";
  return in;
}

std::string read_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST(CliCorrupt, WritesTheImageNetCLayoutAndResumes) {
  testing::TempDir dir;
  const auto in = corrupt_input(dir);
  const auto out = dir / "out";
  const std::string args = "corrupt --input " + in.string() + " --output " + out.string() +
                           " --corruptions fog,pixelate --severities 2-3 --resize 64 --crop 48 --json --db " +
                           (dir / "r.db").string();
  Output o = run(args);
  ASSERT_EQ(o.code, 0) << o.out;
  const auto json = nlohmann::json::parse(o.out.substr(o.out.find('{'), o.out.rfind('}') - o.out.find('{') + 1));
  EXPECT_EQ(json["images"], 3);
  EXPECT_EQ(json["written"], 8);  // 2 readable images x 2 corruptions x 2 severities
  EXPECT_EQ(json["unreadable"].size(), 1u);
  EXPECT_NE(o.out.find("skipping unreadable image"), std::string::npos);
  const auto fog = out / "fog" / "3" / "cat" / "chelsea.jpg";  // JPEG output, named as such
  ASSERT_TRUE(std::filesystem::exists(fog));
  ASSERT_TRUE(std::filesystem::exists(out / "pixelate" / "2" / "boot" / "boot.JPEG"));
  const cv::Mat image = cv::imread(fog.string());
  EXPECT_EQ(image.cols, 48);
  EXPECT_EQ(image.rows, 48);

  // Resumption: only the missing output is written again, and identically (same stream).
  const std::string before = read_bytes(fog);
  const auto kept = out / "pixelate" / "3" / "cat" / "chelsea.jpg";
  const auto kept_time = std::filesystem::last_write_time(kept);
  std::filesystem::remove(fog);
  o = run(args);
  ASSERT_EQ(o.code, 0) << o.out;
  const auto again = nlohmann::json::parse(o.out.substr(o.out.find('{'), o.out.rfind('}') - o.out.find('{') + 1));
  EXPECT_EQ(again["written"], 1);
  EXPECT_EQ(again["existing"], 7);  // of the 8 outputs of the readable images
  EXPECT_EQ(read_bytes(fog), before);
  EXPECT_EQ(std::filesystem::last_write_time(kept), kept_time);
  for (const auto& entry : std::filesystem::recursive_directory_iterator(out))
    EXPECT_EQ(entry.path().filename().string().find(".tmp"), std::string::npos) << entry.path();
}

TEST(CliCorrupt, BadInputIsNamed) {
  testing::TempDir dir;
  const auto in = corrupt_input(dir);
  const std::string base = "corrupt --input " + in.string() + " --db " + (dir / "r.db").string();
  Output o = run(base + " --output " + (dir / "o").string() + " --corruptions fog,hail");
  EXPECT_EQ(o.code, 2);
  EXPECT_NE(o.out.find("unknown corruption 'hail'"), std::string::npos) << o.out;
  o = run(base + " --output " + (dir / "o").string() + " --severities 0-3");
  EXPECT_EQ(o.code, 2);
  EXPECT_NE(o.out.find("severity '0'"), std::string::npos) << o.out;
  o = run(base + " --output " + (dir / "o").string() + " --corruptions fog --severities 1 --strict");
  EXPECT_EQ(o.code, 4);  // the broken file stops a strict run
  EXPECT_NE(o.out.find("broken.jpg"), std::string::npos) << o.out;
  std::ofstream(dir / "file") << "x";
  o = run(base + " --output " + (dir / "file" / "sub").string() + " --corruptions fog --severities 1");
  EXPECT_EQ(o.code, 3);
  EXPECT_NE(o.out.find("cannot create the output directory"), std::string::npos) << o.out;
  o = run("corrupt --input " + (dir / "none").string() + " --output " + (dir / "o").string());
  EXPECT_EQ(o.code, 3);
  // A fresh output folder: the strict run above may have written the good images before it met the
  // broken one (workers run in parallel), and they would then be "already there".
  o = run(base + " --output " + (dir / "o16").string() + " --resize 16 --crop 16 --corruptions fog --severities 1");
  EXPECT_EQ(o.code, 0) << o.out;
  EXPECT_NE(o.out.find("corruptions need 32 px"), std::string::npos) << o.out;
}

TEST(CliEval, SelectDevChoosesOnTheHeldOutCorruptionsAndStoresTheGrid) {
  testing::TempDir dir;
  const std::string db = (dir / "r.db").string();
  const std::string base = "eval --model " + model_path() + " --limit 16 --batch-size 8 --severities 5 --db " + db;
  Output o = run(base + " --corruptions fog --adapt ent --select dev --json");
  ASSERT_EQ(o.code, 0) << o.out;
  const auto json = nlohmann::json::parse(o.out.substr(o.out.find('{'), o.out.rfind('}') - o.out.find('{') + 1));
  Store store(db);
  const auto grid = store.results({.metric = "dev_error"});
  ASSERT_EQ(grid.size(), 6u);  // {sgd, adam} x {1e-4, 1e-3, 1e-2}
  const auto chosen = store.results({.metric = "selected_lr"});
  ASSERT_EQ(chosen.size(), 1u);
  double best = 2;
  for (const auto& r : grid) best = std::min(best, r.row.value);
  for (const auto& r : grid)  // the stored choice is the first candidate with the lowest mean dev error
    if (r.row.value == best) {
      EXPECT_EQ(r.row.condition["optimizer"], chosen[0].row.condition["optimizer"]);
      EXPECT_DOUBLE_EQ(r.row.condition["lr"].get<double>(), chosen[0].row.value);
      break;
    }
  EXPECT_EQ(json["selected"]["lr"].get<double>(), chosen[0].row.value);
  // The benchmark itself ran once, on the corruption asked for.
  const auto errors = store.results({.metric = "error"});
  ASSERT_EQ(errors.size(), 2u);  // clean + fog/5
  EXPECT_EQ(errors[1].row.condition["corruption"], "fog");
  // Bad input: selection needs self-learning and corruptions; unknown presets and values.
  EXPECT_EQ(run(base + " --corruptions fog --adapt bn --select dev").code, 2);
  EXPECT_EQ(run(base + " --adapt rpl --select dev").code, 2);
  EXPECT_EQ(run(base + " --corruptions fog --adapt rpl --select grid").code, 2);
  o = run(base + " --corruptions fog --adapt rpl --preset tent2021");
  EXPECT_EQ(o.code, 2);
  EXPECT_NE(o.out.find("unknown preset 'tent2021'"), std::string::npos) << o.out;
  // A preset's values, except where a flag is given.
  o = run(base + " --corruptions fog --adapt rpl --preset rusak2021 --lr 0.002 --json");
  ASSERT_EQ(o.code, 0) << o.out;
  const auto runs = store.runs();
  const nlohmann::json config = runs.back().config;
  EXPECT_EQ(config["self_learning"]["optimizer"], "sgd");
  EXPECT_DOUBLE_EQ(config["self_learning"]["lr"].get<double>(), 0.002);
  EXPECT_EQ(config["batch_size"], 8);  // given explicitly: wins over the preset's 128
  EXPECT_EQ(config["protocol"], "reset-each-shift");
}

TEST(CliEval, CorruptionBenchmarkWithAdaptationStoresEveryError) {
  testing::TempDir dir;
  const std::string db = (dir / "r.db").string();
  const std::string base = "eval --model " + model_path() + " --limit 64 --batch-size 32 --db " + db;
  Output o = run(base + " --corruptions fog,contrast --severities 2,5 --adapt bn --json");
  ASSERT_EQ(o.code, 0) << o.out;
  const auto json = nlohmann::json::parse(o.out.substr(o.out.find('{'), o.out.rfind('}') - o.out.find('{') + 1));
  EXPECT_EQ(json["adapt"], "bn");
  ASSERT_EQ(json["errors"].size(), 5u);  // clean + 2 corruptions x 2 severities
  EXPECT_EQ(json["errors"][0]["corruption"], "clean");
  EXPECT_EQ(json["benchmark_corruptions"], 2);
  EXPECT_EQ(json["mce_baseline"], "alexnet");
  Store store(db);
  const auto errors = store.results({.metric = "error"});
  ASSERT_EQ(errors.size(), 5u);
  EXPECT_EQ(errors[1].row.condition["adapt"], "bn");
  EXPECT_EQ(errors[1].row.condition["corruption"], "fog");
  EXPECT_EQ(store.results({.metric = "mce"}).size(), 1u);

  o = run(base + " --corruptions fog --severities 3 --adapt rpl --lr 0.001 --json");
  ASSERT_EQ(o.code, 0) << o.out;
  EXPECT_NE(o.out.find("\"adapt\": \"rpl\""), std::string::npos) << o.out;

  // mCE against the first run (BN adaptation): the same command again gives exactly 1.
  o = run(base + " --corruptions fog,contrast --severities 2,5 --adapt bn --baseline-run 1 --json");
  ASSERT_EQ(o.code, 0) << o.out;
  const auto again = nlohmann::json::parse(o.out.substr(o.out.find('{'), o.out.rfind('}') - o.out.find('{') + 1));
  EXPECT_EQ(again["mce_baseline"], "run 1");
  EXPECT_DOUBLE_EQ(again["mce"].get<double>(), 1.0);
  EXPECT_EQ(run(base + " --corruptions fog --baseline-run 99").code, 2);

  // Without --corruptions the dataset itself is the adapted stream (ImageNet-R/A/D): its error is
  // the clean row of the benchmark with the same adaptation.
  o = run(base + " --adapt bn --json");
  ASSERT_EQ(o.code, 0) << o.out;
  const auto plain = nlohmann::json::parse(o.out.substr(o.out.find('{'), o.out.rfind('}') - o.out.find('{') + 1));
  EXPECT_DOUBLE_EQ(plain["error"].get<double>(), json["errors"][0]["error"].get<double>());
  EXPECT_EQ(store.results({.metric = "error"}).back().row.condition["adapt"], "bn");

  // Bad input: unknown methods and parameter sets.
  o = run(base + " --corruptions fog --adapt cotta3");
  EXPECT_EQ(o.code, 2);
  EXPECT_NE(o.out.find("unknown adaptation 'cotta3'"), std::string::npos) << o.out;
  const std::string unbatched = "eval --model " + model_path() + " --limit 64 --db " + db;
  o = run(unbatched + " --corruptions fog --adapt bn --batch-size 4 --window 3");
  EXPECT_EQ(o.code, 2);
  EXPECT_NE(o.out.find("sliding window is for batch size 1"), std::string::npos) << o.out;
  o = run(base + " --corruptions fog --adapt rpl --adapt-params everything");
  EXPECT_EQ(o.code, 2);
  o = run(base + " --corruptions fog --adapt soft-pl");
  EXPECT_EQ(o.code, 2);
  EXPECT_NE(o.out.find("teacher copy"), std::string::npos) << o.out;
  o = run(base + " --corruptions fog --adapt tent --protocol sideways");
  EXPECT_EQ(o.code, 2);
  EXPECT_NE(o.out.find("unknown protocol 'sideways'"), std::string::npos) << o.out;

  // The benchmark's methods and protocols: EATA (its Fisher from the clean images) on a mixed stream.
  o = run(base + " --corruptions fog,contrast --severities 5 --adapt eata --protocol mixed --json");
  ASSERT_EQ(o.code, 0) << o.out;
  const auto config = store.runs().back().config;
  EXPECT_EQ(config["adapt"], "eata");
  EXPECT_EQ(config["protocol"], "mixed");
  int conditions = 0;
  for (const auto& r : store.results({.run_id = store.runs().back().id, .metric = "error"}))
    if (r.row.condition.value("severity", 0) == 5) ++conditions;
  EXPECT_EQ(conditions, 2);

  // ROID on the gradual stream: nine segments per corruption, numbered in the store, and the
  // benchmark's two means (every segment, severity 5 only).
  o = run(base + " --corruptions fog --severities 5 --adapt roid --protocol gradual --json");
  ASSERT_EQ(o.code, 0) << o.out;
  const auto gradual = nlohmann::json::parse(o.out.substr(o.out.find('{'), o.out.rfind('}') - o.out.find('{') + 1));
  ASSERT_EQ(gradual["errors"].size(), 10u);
  double sum = 0;
  for (size_t i = 1; i < 10; ++i) sum += gradual["errors"][i]["error"].get<double>();
  EXPECT_NEAR(gradual["mean_error"].get<double>(), sum / 9, 1e-12);
  EXPECT_DOUBLE_EQ(gradual["mean_error_severity5"].get<double>(), gradual["errors"][5]["error"].get<double>());
  std::set<int64_t> segments;
  for (const auto& r : store.results({.run_id = store.runs().back().id, .metric = "error"}))
    if (r.row.condition.contains("segment")) segments.insert(r.row.condition["segment"].get<int64_t>());
  EXPECT_EQ(segments.size(), 9u);
  // CoTTA and RoTTA at batch size 1 through a sliding window of 4.
  for (const char* method : {"cotta", "rotta"}) {
    o = run(unbatched + " --corruptions fog --severities 5 --adapt " + method +
            " --batch-size 1 --window 4 --augmentations 2 --json");
    ASSERT_EQ(o.code, 0) << method << o.out;
    EXPECT_EQ(store.runs().back().config["window"], 4);
  }
}

// The first `n` Fashion-MNIST test images as an image folder <root>/<label>/<index>.png.
void write_fashion_mnist_folder(const std::filesystem::path& root, int64_t n) {
  const auto test = load_fashion_mnist("test");
  for (int64_t i = 0; i < n; ++i) {
    const Example e = test->get(i);
    const auto cls = root / std::to_string(e.label);
    std::filesystem::create_directories(cls);
    const torch::Tensor img = e.image[0].mul(255).round().to(torch::kUInt8).contiguous();
    cv::imwrite((cls / (std::to_string(i) + ".png")).string(),
                cv::Mat(28, 28, CV_8UC1, const_cast<uint8_t*>(img.data_ptr<uint8_t>())).clone());
  }
}

// A file cut to its first 20 bytes (an unreadable image) until repair() writes it back whole.
class TruncatedFile {
 public:
  explicit TruncatedFile(std::filesystem::path path) : path_(std::move(path)), bytes_(read_bytes(path_)) {
    std::ofstream(path_, std::ios::binary) << bytes_.substr(0, 20);
  }
  void repair() const { std::ofstream(path_, std::ios::binary) << bytes_; }

 private:
  std::filesystem::path path_;
  std::string bytes_;
};

struct FailedRun {
  int64_t id = 0;
  std::vector<StoredResult> results;  ///< those with the metric asked for
};

// Runs `command`, which must fail, and returns the run it left in `db` with its `metric` results.
FailedRun failed_run(const std::string& command, const std::filesystem::path& db, const std::string& metric) {
  const Output o = run(command);
  EXPECT_NE(o.code, 0) << o.out;
  const Store store(db);
  const int64_t id = store.runs().back().id;
  return {id, store.results({.run_id = id, .metric = metric})};
}

std::vector<std::filesystem::path> files_under(const std::filesystem::path& root) {
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::recursive_directory_iterator(root))
    if (e.is_regular_file()) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  return files;
}

TEST(CliEval, CorruptedDirFromRobustlabCorruptAndMissingFolders) {
  testing::TempDir dir;
  write_fashion_mnist_folder(dir / "clean", 20);
  const std::string db = " --db " + (dir / "r.db").string();
  Output o = run("corrupt --input " + (dir / "clean").string() + " --output " + (dir / "c").string() +
                 " --corruptions fog --severities 1 --resize 32 --crop 32 --png" + db);
  ASSERT_EQ(o.code, 0) << o.out;
  const std::string eval = "eval --model " + model_path() + " --dataset " + (dir / "clean").string() +
                           " --grayscale --resize 28 --crop 28 --corrupted-dir " + (dir / "c").string() +
                           " --corruptions fog,contrast --severities 1" + db;
  o = run(eval + " --json");
  ASSERT_EQ(o.code, 0) << o.out;
  EXPECT_NE(o.out.find("missing in"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("contrast/1"), std::string::npos) << o.out;
  const auto json = nlohmann::json::parse(o.out.substr(o.out.find('{'), o.out.rfind('}') - o.out.find('{') + 1));
  ASSERT_EQ(json["errors"].size(), 2u);  // clean and fog/1
  EXPECT_EQ(json["errors"][1]["corruption"], "fog");
  EXPECT_EQ(json["errors"][1]["count"], 20);
  o = run(eval + " --strict");
  EXPECT_EQ(o.code, 2);
  EXPECT_NE(o.out.find("contrast/1"), std::string::npos) << o.out;
  // A 10-class model cannot be read through the ImageNet subsets.
  o = run("eval --model " + model_path() + " --limit 8 --subset imagenet-r" + db);
  EXPECT_EQ(o.code, 5) << o.out;
  EXPECT_NE(o.out.find("1000"), std::string::npos) << o.out;
}

TEST(CliEval, AnInterruptedCorruptionBenchmarkResumes) {
  testing::TempDir dir;
  write_fashion_mnist_folder(dir / "clean", 20);
  const std::string db = " --db " + (dir / "r.db").string();
  ASSERT_EQ(run("corrupt --input " + (dir / "clean").string() + " --output " + (dir / "c").string() +
                " --corruptions fog,contrast --severities 1 --resize 32 --crop 32 --png" + db).code, 0);
  const std::string eval = "eval --json --model " + model_path() + " --dataset " + (dir / "clean").string() +
                           " --grayscale --resize 28 --crop 28 --corrupted-dir " + (dir / "c").string() +
                           " --corruptions fog,contrast --severities 1" + db;
  // A truncated contrast image stops the run after clean and fog (measured in that order) were stored.
  const TruncatedFile broken(files_under(dir / "c" / "contrast").front());
  const auto [failed, stored] = failed_run(eval, dir / "r.db", "error");
  ASSERT_EQ(stored.size(), 2u);  // clean and fog/1
  EXPECT_EQ(stored[1].row.condition["corruption"], "fog");

  // Repaired contrast, and fog made unreadable: resuming must not read fog again.
  broken.repair();
  for (const auto& f : files_under(dir / "c" / "fog")) std::ofstream(f, std::ios::binary) << "not an image";
  const Store store(dir / "r.db");
  const Output o = run(eval);
  ASSERT_EQ(o.code, 0) << o.out;
  EXPECT_NE(o.out.find("resuming run " + std::to_string(failed)), std::string::npos) << o.out;
  const auto json = nlohmann::json::parse(o.out.substr(o.out.find('{'), o.out.rfind('}') - o.out.find('{') + 1));
  ASSERT_EQ(json["errors"].size(), 3u);
  EXPECT_EQ(json["errors"][1]["corruption"], "fog");
  EXPECT_DOUBLE_EQ(json["errors"][1]["error"].get<double>(), stored[1].row.value);
  EXPECT_EQ(json["errors"][2]["corruption"], "contrast");
  EXPECT_EQ(store.results({.run_id = store.runs().back().id, .metric = "error"}).size(), 3u);
  // The resumed run completed, so the same command now measures everything again (and meets the
  // unreadable fog images); so does --restart.
  EXPECT_NE(run(eval).code, 0);
  EXPECT_NE(run(eval + " --restart").code, 0);
}

TEST(CliAttack, AnInterruptedAttackResumes) {
  testing::TempDir dir;
  write_fashion_mnist_folder(dir / "images", 20);  // all ten classes
  const ImageFolder folder(dir / "images", {28, 28, true});
  const std::string db = " --db " + (dir / "r.db").string();
  const std::string attack = "attack --json --model " + model_path() + " --dataset " + (dir / "images").string() +
                             " --grayscale --resize 28 --crop 28 --steps 5 --batch-size 4" + db;
  // A truncated image in the third batch stops the run after two batches were stored.
  const TruncatedFile broken(folder.file(9));
  const auto [failed, stored] = failed_run(attack, dir / "r.db", "min_norm");
  ASSERT_EQ(stored.size(), 8u);

  // Repaired, and the first two batches made unreadable (but for image 0, which the command reads to check
  // that model and data fit): resuming must not read them again.
  broken.repair();
  for (int64_t i = 1; i < 8; ++i) std::ofstream(folder.file(i), std::ios::binary) << "not an image";
  const Store store(dir / "r.db");
  const Output o = run(attack);
  ASSERT_EQ(o.code, 0) << o.out;
  EXPECT_NE(o.out.find("resuming run " + std::to_string(failed) + ": 8"), std::string::npos) << o.out;
  const auto resumed = store.results({.run_id = store.runs().back().id, .metric = "min_norm"});
  ASSERT_EQ(resumed.size(), 20u);  // the new run holds every sample
  for (size_t i = 0; i < 8; ++i) {
    EXPECT_EQ(resumed[i].row.condition, stored[i].row.condition);
    EXPECT_EQ(resumed[i].row.value, stored[i].row.value);
  }
  EXPECT_NE(run(attack + " --restart").code, 0);  // attacks the unreadable images again
}

}  // namespace
}  // namespace robustlab

namespace robustlab {
namespace {

TEST(CliIdentify, MetricsOfUsersArraysAsJson) {
  testing::TempDir dir;
  torch::manual_seed(0);
  const torch::Tensor z = torch::rand({500, 4});
  const torch::Tensor h = torch::stack({-z.select(1, 2), 3 * z.select(1, 0), z.select(1, 3), 0.5 * z.select(1, 1)}, 1);
  write_npy(dir / "z.npy", z);
  write_npy(dir / "h.npy", h);
  const std::string db = " --db " + (dir / "r.db").string();
  Output o = run("identify --latents " + (dir / "z.npy").string() + " --codes " + (dir / "h.npy").string() + " --json" + db);
  ASSERT_EQ(o.code, 0) << o.out;
  const nlohmann::json j = nlohmann::json::parse(o.out);
  EXPECT_NEAR(j.at("r2").get<double>(), 1.0, 1e-6);
  EXPECT_NEAR(j.at("mcc_pearson").get<double>(), 1.0, 1e-6);
  EXPECT_NEAR(j.at("mcc_spearman").get<double>(), 1.0, 1e-6);
  Store store(dir / "r.db");
  EXPECT_EQ(store.results({.metric = "mcc_spearman"}).size(), 1u);

  // Bad input: one line, non-zero exit.
  write_npy(dir / "short.npy", h.narrow(0, 0, 499));
  o = run("identify --latents " + (dir / "z.npy").string() + " --codes " + (dir / "short.npy").string() + db);
  EXPECT_NE(o.code, 0);
  EXPECT_NE(o.out.find("500 latent rows but 499 code rows"), std::string::npos) << o.out;
  EXPECT_EQ(std::count(o.out.begin(), o.out.end(), '\n'), 1) << o.out;
  torch::Tensor nan = h.clone();
  nan[7][1] = NAN;
  write_npy(dir / "nan.npy", nan);
  o = run("identify --latents " + (dir / "z.npy").string() + " --codes " + (dir / "nan.npy").string() + db);
  EXPECT_NE(o.code, 0);
  EXPECT_NE(o.out.find("NaN"), std::string::npos) << o.out;
  o = run("identify --latents " + (dir / "z.npy").string() + " --codes " + (dir / "missing.npy").string() + db);
  EXPECT_NE(o.code, 0);
  EXPECT_NE(o.out.find("missing.npy"), std::string::npos) << o.out;
}

TEST(CliIdentify, ATinyExperimentStoresItsCurveAndBadFlagsAreNamed) {
  testing::TempDir dir;
  const std::string db = " --db " + (dir / "r.db").string();
  const Output o = run("identify --n 3 --steps 20 --batch-size 64 --cond-iterations 100 --log-every 10 --eval-batches 2 "
                       "--space box --conditional laplace --loss lp --p 1 --json" + db);
  ASSERT_EQ(o.code, 0) << o.out;
  const nlohmann::json j = nlohmann::json::parse(o.out.substr(o.out.find('{')));
  for (const char* key : {"r2", "r2_sd", "mcc", "mcc_sd", "g_r2", "g_mcc"}) EXPECT_TRUE(j.contains(key)) << key;
  Store store(dir / "r.db");
  EXPECT_EQ(store.results({.metric = "curve_mcc"}).size(), 3u);  // steps 1, 11, 20
  EXPECT_EQ(store.runs().back().status, RunStatus::kCompleted);
  for (const auto& [flags, message] : std::vector<std::pair<std::string, std::string>>{
           {"--space torus", "unknown space 'torus'"},
           {"--space unbounded", "no uniform distribution on R^n"},
           {"--space box --conditional vmf", "vmf conditional lives on the sphere"},
           {"--space sphere --conditional vmf --c-param 0", "must be positive"},
           {"--n 1", "n must be at least 2"},
           {"--table paper", "unknown table 'paper'"}}) {
    const Output bad = run("identify " + flags + db);
    EXPECT_NE(bad.code, 0) << flags;
    EXPECT_NE(bad.out.find(message), std::string::npos) << flags << ": " << bad.out;
  }
}

}  // namespace
}  // namespace robustlab

namespace robustlab {
namespace {

TEST(CliDisentanglement, MetricsOfUsersArraysAndBadInput) {
  testing::TempDir dir;
  torch::manual_seed(0);
  const torch::Tensor f = torch::stack({torch::randint(0, 3, {900}), torch::randint(0, 5, {900})}, 1);
  const torch::Tensor codes = torch::cat({f.to(torch::kFloat32) + 0.1 * torch::randn({900, 2}), torch::randn({900, 1})}, 1);
  write_npy(dir / "f.npy", f);
  write_npy(dir / "c.npy", codes);
  const std::string db = " --db " + (dir / "r.db").string();
  const std::string arrays = " --factors " + (dir / "f.npy").string() + " --codes " + (dir / "c.npy").string();
  Output o = run("disentanglement" + arrays + " --num-train 600 --num-test 300 --json" + db);
  ASSERT_EQ(o.code, 0) << o.out;
  const nlohmann::json j = nlohmann::json::parse(o.out.substr(o.out.find('{')));
  for (const char* key : {"mcc", "mig", "dci_disentanglement", "dci_completeness", "dci_informativeness_train",
                          "dci_informativeness_test", "sap", "modularity", "explicitness_train", "explicitness_test"})
    ASSERT_TRUE(j.contains(key)) << key;
  EXPECT_GT(j.at("mcc").get<double>(), 0.9);
  EXPECT_GT(j.at("mig").get<double>(), 0.5);
  EXPECT_GT(j.at("dci_informativeness_test").get<double>(), 0.9);
  Store store(dir / "r.db");
  EXPECT_EQ(store.results({.metric = "sap"}).size(), 1u);

  o = run("disentanglement" + arrays + " --num-train 800 --num-test 300" + db);
  EXPECT_NE(o.code, 0);
  EXPECT_NE(o.out.find("the arrays have 900"), std::string::npos) << o.out;
  write_npy(dir / "short.npy", codes.narrow(0, 0, 899));
  o = run("disentanglement --factors " + (dir / "f.npy").string() + " --codes " + (dir / "short.npy").string() + db);
  EXPECT_NE(o.code, 0);
  EXPECT_NE(o.out.find("900 latent rows but 899 code rows"), std::string::npos) << o.out;
  write_npy(dir / "flat.npy", torch::zeros({900, 3}));
  o = run("disentanglement --factors " + (dir / "f.npy").string() + " --codes " + (dir / "flat.npy").string() + db);
  EXPECT_NE(o.code, 0);
  EXPECT_NE(o.out.find("every code is constant"), std::string::npos) << o.out;
  o = run("disentanglement --dataset shapes3d --encoder x.pt" + db);
  EXPECT_NE(o.out.find("unknown dataset 'shapes3d'"), std::string::npos) << o.out;
}

TEST(CliSlowVae, TrainsResumesAndEvaluatesTheEncoder) {
  testing::TempDir dir;
  const std::string db = " --db " + (dir / "r.db").string();
  const std::string ckpt = (dir / "vae.ckpt").string();
  const std::string common = " --batch-size 4 --log-every 2 --sizes quick --checkpoint " + ckpt + db;
  Output o = run("slowvae --steps 2 --json" + common);
  ASSERT_EQ(o.code, 0) << o.out;
  nlohmann::json j = nlohmann::json::parse(o.out.substr(o.out.find('{')));
  for (const char* key : {"mcc", "mig", "sap", "beta_vae_eval", "factor_vae_eval", "dci_disentanglement"})
    EXPECT_TRUE(j.at("metrics").contains(key)) << key;
  // Four steps with the same checkpoint: two more, not four.
  o = run("slowvae --steps 4 -v" + common);
  ASSERT_EQ(o.code, 0) << o.out;
  EXPECT_NE(o.out.find("resuming from"), std::string::npos) << o.out;
  EXPECT_EQ(o.out.find("step 2:"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("step 4:"), std::string::npos) << o.out;
  // Other settings with that checkpoint, a corrupt checkpoint, bad names.
  o = run("slowvae --steps 4 --z-dim 6" + common);
  EXPECT_NE(o.code, 0);
  EXPECT_NE(o.out.find("trained with other settings"), std::string::npos) << o.out;
  std::ofstream(dir / "bad.ckpt") << "not a checkpoint";
  o = run("slowvae --steps 4 --checkpoint " + (dir / "bad.ckpt").string() + db);
  EXPECT_NE(o.code, 0);
  EXPECT_NE(o.out.find("corrupt"), std::string::npos) << o.out;
  EXPECT_NE(run("slowvae --model vae" + db).out.find("unknown model 'vae'"), std::string::npos);
  EXPECT_NE(run("slowvae --transitions gauss" + db).out.find("unknown transitions 'gauss'"), std::string::npos);
  // The trained encoder through disentanglement --dataset dsprites.
  o = run("disentanglement --dataset dsprites --encoder " + ckpt + " --sizes quick --json" + db);
  ASSERT_EQ(o.code, 0) << o.out;
  j = nlohmann::json::parse(o.out.substr(o.out.find('{')));
  EXPECT_TRUE(j.contains("factor_vae_eval"));
}

}  // namespace
}  // namespace robustlab

namespace robustlab {
namespace {

TEST(CliObjects, GeneratePredictAndEvaluate) {
  testing::TempDir dir;
  const std::string db = " --db " + (dir / "r.db").string();
  const std::string data = (dir / "vmds").string();
  Output o = run("objects generate -o " + data + " --train 0 --val 0 --test 20 --shard 8" + db);
  ASSERT_EQ(o.code, 0) << o.out;
  ASSERT_TRUE(std::filesystem::exists(dir / "vmds" / "test_002.npy"));
  o = run("objects predict --data " + data + db);
  ASSERT_EQ(o.code, 0) << o.out;
  const std::string gt = data + "/test.json";
  o = run("objects eval --ground-truth " + gt + " --predictions " + gt + " --json" + db);
  ASSERT_EQ(o.code, 0) << o.out;
  nlohmann::json j = nlohmann::json::parse(o.out.substr(o.out.find('{')));
  EXPECT_DOUBLE_EQ(j.at("mota").get<double>(), 100.0);
  EXPECT_DOUBLE_EQ(j.at("motp").get<double>(), 100.0);
  for (const char* key : {"mostly_detected", "mostly_tracked", "match", "miss", "id_switches", "false_positives",
                          "num_objects", "num_switches"})
    EXPECT_TRUE(j.contains(key)) << key;
  o = run("objects eval --ground-truth " + gt + " --predictions " + data + "/test_components.json --json" + db);
  ASSERT_EQ(o.code, 0) << o.out;
  j = nlohmann::json::parse(o.out.substr(o.out.find('{')));
  EXPECT_LT(j.at("mota").get<double>(), 50.0);  // no tracking: a switch in almost every frame
  EXPECT_GT(j.at("mostly_detected").get<double>(), 80.0);
  // Bad input: malformed RLE, different video counts, a bad frame range, an unknown set.
  std::ofstream(dir / "bad.json") << R"([[{"masks": ["1 2 3"], "ids": [1]}]])";
  o = run("objects eval --ground-truth " + gt + " --predictions " + (dir / "bad.json").string() + db);
  EXPECT_NE(o.code, 0);
  EXPECT_NE(o.out.find("20 ground-truth videos but 1 predicted"), std::string::npos) << o.out;
  o = run("objects eval --ground-truth " + (dir / "bad.json").string() + " --predictions " + (dir / "bad.json").string() +
          " --frames 0-0" + db);
  EXPECT_NE(o.code, 0);
  EXPECT_NE(o.out.find("start/length pairs"), std::string::npos) << o.out;
  EXPECT_NE(run("objects eval --ground-truth " + gt + " --predictions " + gt + " --frames 5-2" + db).code, 0);
  EXPECT_NE(run("objects generate --set vor -o " + data + db).out.find("unknown video set 'vor'"), std::string::npos);
}

TEST(CliObjects, TrainResumesAndPredictsWithTheModel) {
  testing::TempDir dir;
  const std::string db = " --db " + (dir / "r.db").string();
  const std::string data = (dir / "vmds").string();
  ASSERT_EQ(run("objects generate -o " + data + " --train 4 --val 0 --test 3" + db).code, 0);
  const std::string small = " --data " + data + " --batch 2 --clip 2 --slots 3 --dim 8 --channels 4 --log-every 1" + db;
  Output o = run("objects train --steps 2" + small);
  ASSERT_EQ(o.code, 0) << o.out;
  const std::filesystem::path ckpt = dir / "vmds" / "slot-video.ckpt";
  ASSERT_TRUE(std::filesystem::exists(ckpt));
  o = run("objects train --steps 3" + small);  // resumes: one step more
  ASSERT_EQ(o.code, 0) << o.out;
  Store store(dir / "r.db");
  std::vector<double> steps;
  for (const auto& r : store.results({.metric = "train_mse"})) steps.push_back(r.row.condition.at("step").get<double>());
  EXPECT_EQ(steps, (std::vector<double>{1, 2, 3}));
  o = run("objects train --steps 3 --slots 4" + small.substr(small.find(" --dim")) + " --data " + data);
  EXPECT_NE(o.code, 0);
  EXPECT_NE(o.out.find("trained with other settings"), std::string::npos) << o.out;
  o = run("objects predict --data " + data + " --model " + ckpt.string() + db);
  ASSERT_EQ(o.code, 0) << o.out;
  EXPECT_NE(o.out.find("reconstruction MSE"), std::string::npos) << o.out;
  const auto predictions = nlohmann::json::parse(read_file(dir / "vmds" / "test_slots.json"));
  ASSERT_EQ(predictions.size(), 3u);
  ASSERT_EQ(predictions[0].size(), 10u);
  for (const auto& frame : predictions[0])
    for (const auto& id : frame.at("ids")) EXPECT_LT(id.template get<int64_t>(), 3);  // video 0: slots 0..2
  o = run("objects eval --ground-truth " + data + "/test.json --predictions " + data + "/test_slots.json --json" + db);
  ASSERT_EQ(o.code, 0) << o.out;
  // Bad input: a missing model, a folder without the split.
  o = run("objects predict --data " + data + " --model " + (dir / "none.ckpt").string() + db);
  EXPECT_NE(o.code, 0);
  EXPECT_NE(o.out.find("none.ckpt"), std::string::npos) << o.out;
  o = run("objects train --data " + (dir / "empty").string() + db);
  EXPECT_NE(o.code, 0);
  EXPECT_NE(o.out.find("no frame files"), std::string::npos) << o.out;
}

TEST(CliBenchmark, NoCorruptedImagesSkipTheContinualSection) {
  // --corruption-limit 0 leaves the continual stream no images: the section is skipped (before,
  // it ran on one image), so nothing needs the model and nothing is stored for it.
  testing::TempDir dir;
  const Output o = run("benchmark --only continual --corruption-limit 0 --report '' --db " + (dir / "r.db").string());
  ASSERT_EQ(o.code, 0) << o.out;
  EXPECT_NE(o.out.find("continual section is skipped"), std::string::npos) << o.out;
  const Store store((dir / "r.db").string());
  EXPECT_TRUE(store.results({.metric = "error"}).empty());
}

TEST(CliPitfalls, ContourStimuliAndTheRecognitionGap) {
  testing::TempDir dir;
  const std::string db = " --db " + (dir / "r.db").string();
  Output o = run("stimuli contour --set 3-gons --repetitions 1 --output " + (dir / "tri").string() + db);
  ASSERT_EQ(o.code, 0) << o.out;
  int images = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir / "tri")) images += e.path().extension() == ".png";
  EXPECT_EQ(images, 14);
  EXPECT_TRUE(std::filesystem::exists(dir / "tri" / "labels.csv"));
  o = run("stimuli contour --set wavy" + db);
  EXPECT_EQ(o.code, 2);
  EXPECT_NE(o.out.find("unknown contour set 'wavy'"), std::string::npos) << o.out;

  // The recognition gap of the reference CNN on three test images; every image's numbers are stored.
  o = run("recognition-gap --model " + model_path() + " --limit 3 --json" + db);
  ASSERT_EQ(o.code, 0) << o.out;
  const auto json = nlohmann::json::parse(o.out.substr(o.out.find('{'), o.out.rfind('}') - o.out.find('{') + 1));
  EXPECT_EQ(json["images"], 3);
  EXPECT_LE(json["with_mirc"].get<int>(), 3);
  const Store store((dir / "r.db").string());
  EXPECT_EQ(store.results({.run_id = json["run"].get<int64_t>(), .metric = "recognition_gap"}).size(), 3u);
  o = run("recognition-gap --model " + model_path() + " --limit 1 --children stride2" + db);
  EXPECT_EQ(o.code, 2);
  o = run("recognition-gap --model " + model_path() + " --limit 1 --targets 12" + db);
  EXPECT_EQ(o.code, 2);
  EXPECT_NE(o.out.find("fewer than the target class 12"), std::string::npos) << o.out;
  // A closed/open classifier trained briefly on one set, then judged on two: both criteria stored.
  ASSERT_EQ(run("stimuli contour --set no-flankers --repetitions 1 --output " + (dir / "plain").string() + db).code, 0);
  std::filesystem::remove(dir / "tri" / "labels.csv");
  std::filesystem::remove(dir / "plain" / "labels.csv");
  const std::string ckpt = (dir / "contour.ckpt").string();
  o = run("train --model small_cnn --dataset " + (dir / "tri").string() +
          " --resize 32 --crop 32 --grayscale --epochs 1 --no-val -o " + ckpt + db);
  ASSERT_EQ(o.code, 0) << o.out;
  o = run("pitfalls contour --model " + ckpt + " --sets " + (dir / "tri").string() + "," + (dir / "plain").string() +
          " --size 32 --grayscale --json" + db);
  ASSERT_EQ(o.code, 0) << o.out;
  const auto judged = nlohmann::json::parse(o.out.substr(o.out.find('{'), o.out.rfind('}') - o.out.find('{') + 1));
  ASSERT_EQ(judged["sets"].size(), 2u);
  EXPECT_EQ(judged["sets"][1]["set"], "plain");
  EXPECT_EQ(judged["sets"][1]["images"], 14);
  for (const auto& set : judged["sets"]) {
    EXPECT_GE(set["accuracy"].get<double>(), 0.0);
    EXPECT_LE(set["accuracy_optimised"].get<double>(), 1.0);
  }
  EXPECT_EQ(store.results({.run_id = judged["run"].get<int64_t>(), .metric = "accuracy"}).size(), 4u);
  o = run("pitfalls contour --model " + model_path() + " --sets " + (dir / "tri").string() + " --size 28 --grayscale" + db);
  EXPECT_NE(o.code, 0);  // ten classes for a two-class set
  EXPECT_NE(o.out.find("has 2 classes"), std::string::npos) << o.out;
  o = run("pitfalls contour --model " + ckpt + " --sets " + dir.path().string() + " --size 32 --grayscale" + db);
  EXPECT_EQ(o.code, 2);  // no closed/ and open/ there
  o = run("recognition-gap --model " + model_path() + " --limit 1 --min-size 64" + db);
  EXPECT_EQ(o.code, 2);
  EXPECT_NE(o.out.find("smaller than the model's minimum size 64"), std::string::npos) << o.out;
}

TEST(CliPitfalls, SvrtStimuliAndTheTrainingSizeStudyResume) {
  testing::TempDir dir;
  const std::string db = " --db " + (dir / "r.db").string();
  Output o = run("stimuli svrt --problems 3,16 --samples 4 --output " + (dir / "svrt").string() + db);
  ASSERT_EQ(o.code, 0) << o.out;
  int images = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir / "svrt")) images += e.path().extension() == ".png";
  EXPECT_EQ(images, 8);
  EXPECT_TRUE(std::filesystem::exists(dir / "svrt" / "problem_16" / "1" / "sample_1_000001.png"));
  o = run("stimuli svrt --problems 24" + db);
  EXPECT_NE(o.code, 0);
  EXPECT_NE(o.out.find("not in range 1 to 23"), std::string::npos) << o.out;
  o = run("stimuli svrt --problems 1 --samples 3 --output " + (dir / "odd").string() + db);
  EXPECT_EQ(o.code, 2);
  EXPECT_NE(o.out.find("must be even"), std::string::npos) << o.out;

  // Two problems (one per group), two sizes: every model's accuracies, the best per cell, the group means.
  const std::string study = "pitfalls svrt --problems 2,22 --sizes 4,8 --presentations 8 --val-samples 4 "
                            "--test-samples 6 --arch small_cnn --data " + (dir / "sets").string() + db;
  o = run(study + " --json");
  ASSERT_EQ(o.code, 0) << o.out;
  const auto json = nlohmann::json::parse(o.out.substr(o.out.find('{'), o.out.rfind('}') - o.out.find('{') + 1));
  ASSERT_EQ(json["problems"].size(), 4u);
  EXPECT_EQ(json["problems"][3]["problem"], 22);
  EXPECT_EQ(json["problems"][3]["group"], "same-different");
  EXPECT_EQ(json["problems"][3]["train_size"], 8);
  for (const auto& p : json["problems"]) {
    EXPECT_EQ(std::lround(p["test_accuracy"].get<double>() * 6), p["test_accuracy"].get<double>() * 6);  // of 6 images
  }
  EXPECT_DOUBLE_EQ(json["group_means"]["spatial"]["8"].get<double>(), json["problems"][1]["test_accuracy"].get<double>());
  Store store((dir / "r.db").string());
  const int64_t first = json["run"].get<int64_t>();
  EXPECT_EQ(store.results({.run_id = first, .metric = "test_accuracy"}).size(), 4u);
  EXPECT_EQ(store.results({.run_id = first, .metric = "mean_test_accuracy"}).size(), 4u);
  EXPECT_TRUE(std::filesystem::exists(dir / "sets" / "problem_22" / "test" / "1" / "sample_1_000002.png"));
  // An interrupted run (here: marked failed) is resumed: nothing is trained again, the numbers are the same.
  store.finish_run(first, RunStatus::kFailed, "interrupted");
  o = run(study + " --json");
  ASSERT_EQ(o.code, 0) << o.out;
  EXPECT_NE(o.out.find("4 models already trained"), std::string::npos) << o.out;
  EXPECT_EQ(o.out.find("training images"), std::string::npos) << o.out;
  const auto again = nlohmann::json::parse(o.out.substr(o.out.find('{'), o.out.rfind('}') - o.out.find('{') + 1));
  EXPECT_EQ(again["problems"], json["problems"]);
  o = run("pitfalls svrt --sizes 5 --data " + (dir / "sets").string() + db);
  EXPECT_EQ(o.code, 2);
  EXPECT_NE(o.out.find("must be even"), std::string::npos) << o.out;
}

TEST(CliPitfalls, TheContourStudyGeneratesTrainsAndEvaluates) {
  testing::TempDir dir;
  const std::string db = " --db " + (dir / "r.db").string();
  const std::string study = "pitfalls contour --repetitions 2 --test-repetitions 1 --epochs 1 --sets training,3-gons "
                            "--size 32 --arch small_cnn --json --data " + (dir / "c").string() + db;
  Output o = run(study);
  ASSERT_EQ(o.code, 0) << o.out;
  const auto json = nlohmann::json::parse(o.out.substr(o.out.find('{'), o.out.rfind('}') - o.out.find('{') + 1));
  ASSERT_EQ(json["sets"].size(), 2u);
  EXPECT_EQ(json["sets"][1]["set"], "3-gons");
  EXPECT_EQ(json["sets"][1]["images"], 14);
  EXPECT_TRUE(std::filesystem::exists(json["model"].get<std::string>()));
  const Store store((dir / "r.db").string());
  EXPECT_EQ(store.results({.run_id = json["run"].get<int64_t>(), .metric = "train_accuracy"}).size(), 1u);  // one epoch
  EXPECT_EQ(store.results({.run_id = json["run"].get<int64_t>(), .metric = "accuracy"}).size(), 4u);
  // A second run reuses the trained model and the sets: the same numbers.
  o = run(study);
  ASSERT_EQ(o.code, 0) << o.out;
  EXPECT_NE(o.out.find("using the model trained earlier"), std::string::npos) << o.out;
  const auto again = nlohmann::json::parse(o.out.substr(o.out.find('{'), o.out.rfind('}') - o.out.find('{') + 1));
  EXPECT_EQ(again["sets"], json["sets"]);
  o = run("pitfalls contour --sets wavy --data " + (dir / "c").string() + db);
  EXPECT_EQ(o.code, 2);
  EXPECT_NE(o.out.find("unknown contour set 'wavy'"), std::string::npos) << o.out;
  o = run("pitfalls contour --model " + json["model"].get<std::string>() + db);
  EXPECT_EQ(o.code, 2);
  EXPECT_NE(o.out.find("--model needs --sets"), std::string::npos) << o.out;
}

TEST(CliExperiment, AnalyzeRecomputesConditionAccuraciesFromAPublishedCsv) {
  testing::TempDir dir;
  const auto csv = dir / "exp2.csv";
  {
    std::ofstream out(csv);
    out << ",subject_id_within_expert_type,trial_nr,block_nr,batch_block,instr_type,trial_type,instruction_grid_mode,"
           "n_instruction_patches,catch_trial,batch,layer,kernel_size,channel,query_order,correct,conf_rating,RT,timeout,"
           "response,correct_response,query_image_a,query_image_b,old_trial_nr,old_block_nr,seed,unit_name,"
           "condition_name,abs_conf_rating,subject_id,expert_level\n";
    // Two participants; Max-1 with synthetic references: 1/2 and 2/2 right -> 0.75; natural 1.0.
    auto row = [&](int subject, const char* instr, const char* name, bool correct) {
      out << "0,1,0,0,f," << instr << ",main,max_max,1,False,0,layer_6,1,channel_0,max_min," << (correct ? "True" : "False")
          << ",-2,1.5,False,a,a,a.png,b.png,,,42,\"4e, 3x3 \"," << name << ",2," << subject << ",expert\n";
    };
    row(1, "optimized", "Max-1", true);
    row(1, "optimized", "Max-1", false);
    row(2, "optimized", "Max-1", true);
    row(2, "optimized", "Max-1", true);
    row(1, "natural", "Max-1", true);
    row(2, "natural", "Max-1", true);
  }
  const std::string db = " --db " + (dir / "r.db").string();
  Output o = run("experiment analyze --published " + csv.string() + " --json" + db);
  ASSERT_EQ(o.code, 0) << o.out;
  const auto json = nlohmann::json::parse(o.out.substr(o.out.find('{'), o.out.rfind('}') - o.out.find('{') + 1));
  EXPECT_DOUBLE_EQ(json["optimized"]["accuracy"].get<double>(), 0.75);
  EXPECT_DOUBLE_EQ(json["Max-1/optimized"]["accuracy"].get<double>(), 0.75);
  EXPECT_DOUBLE_EQ(json["natural"]["accuracy"].get<double>(), 1.0);
  EXPECT_EQ(json["natural"]["participants"], 2);
  EXPECT_EQ(json["optimized"]["ci"].size(), 2u);
  const Store store((dir / "r.db").string());
  EXPECT_EQ(store.results({.metric = "accuracy"}).size(), 4u);
  o = run("experiment analyze --published " + csv.string() + " --by layer" + db);
  ASSERT_EQ(o.code, 0) << o.out;
  EXPECT_NE(o.out.find("optimized · layer_6"), std::string::npos) << o.out;
  o = run("experiment analyze --published " + (dir / "none.csv").string() + db);
  EXPECT_NE(o.code, 0);
  EXPECT_NE(o.out.find("none.csv"), std::string::npos) << o.out;
}

}  // namespace
}  // namespace robustlab

namespace robustlab {
namespace {

TEST(CliExperiment, BadUnitsAndDatasetsAreNamedInOneLine) {
  testing::TempDir dir;
  const std::string base = "experiment stimuli --steps 2 --out " + (dir / "s").string() + " --db " + (dir / "r.db").string() +
                           " --model " + (testing::shared_dir() / "reference/fmn/fmnist_cnn.pt").string();
  const auto fails_with = [&](const std::string& flags, const std::string& message) {
    const Output o = run(base + " " + flags);
    EXPECT_NE(o.code, 0) << flags;
    EXPECT_NE(o.out.find(message), std::string::npos) << flags << ": " << o.out;
  };
  fails_with("--units conv9:0 --limit 400", "unknown layer 'conv9'");
  fails_with("--units conv2:64 --limit 400", "channel 64 is out of range");
  fails_with("--units conv2 --limit 400", "is not layer:channel");
  fails_with("--units conv2:x --limit 400", "no valid channel number");
  fails_with("--units conv2:0 --limit 100", "too few");
  fails_with("--limit 400", "--units is required");
  const Output layers = run(base + " --list-layers");
  ASSERT_EQ(layers.code, 0) << layers.out;
  EXPECT_NE(layers.out.find("conv2  [1, 64, 14, 14]"), std::string::npos) << layers.out;
  const Output missing = run("experiment analyze --stimuli " + (dir / "none").string() + " --db " + (dir / "r.db").string());
  EXPECT_NE(missing.code, 0);
  EXPECT_NE(missing.out.find("does not exist"), std::string::npos) << missing.out;
  // Simulated observers, then their analysis.
  ASSERT_EQ(run(base + " --units conv2:0,conv2:1 --limit 400 --batches 2").code, 0);
  const std::string design = " --stimuli " + (dir / "s").string() + " --main-trials 4 --db " + (dir / "r.db").string();
  ASSERT_EQ(run("experiment simulate --participants 6 --noise 0.01" + design).code, 0);
  const Output none = run("experiment analyze --json" + design);
  EXPECT_NE(none.code, 0);  // no people yet: the simulated run is separate
  const Output sim = run("--json experiment analyze --simulated" + design);
  ASSERT_EQ(sim.code, 0) << sim.out;
  const auto json = nlohmann::json::parse(sim.out);
  EXPECT_EQ(json.at("natural").at("participants"), 6);
  EXPECT_EQ(json.at("natural").at("trials"), 24);
  EXPECT_GT(json.at("natural").at("accuracy").get<double>(), 0.95);
}

}  // namespace
}  // namespace robustlab

namespace robustlab {
namespace {

// Episodic self-learning resets the weights before every batch, so a batch's predictions depend on
// it alone: it shards like any evaluation. A method that carries state along the stream does not.
TEST(CliDistributed, EpisodicSelfLearningShardsAndStatefulMethodsStayOnOneRank) {
  testing::TempDir dir;
  const std::string model = (testing::shared_dir() / "reference/fmn/fmnist_cnn.pt").string();
  const std::string args = " --threads 1 --json -q eval --model " + model + " --limit 256 --batch-size 64 --adapt ent "
                           "--episodic --corruptions gaussian_noise,fog --severities 2";
  const Output single = run("--db " + (dir / "one.db").string() + args);
  ASSERT_EQ(single.code, 0) << single.out;
  const Output two = run("launch --nproc 2 -- " + std::string(ROBUSTLAB_CLI) + " --db " + (dir / "two.db").string() + args);
  ASSERT_EQ(two.code, 0) << two.out;
  EXPECT_EQ(nlohmann::json::parse(two.out).at("errors"), nlohmann::json::parse(single.out).at("errors"));
  EXPECT_EQ(Store(dir / "two.db").results().size(), Store(dir / "one.db").results().size());
  const Output eata = run("--db " + (dir / "e.db").string() + " eval --model " + model + " --adapt eata --episodic",
                          "RANK=0 WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=1");
  EXPECT_NE(eata.code, 0);
  EXPECT_NE(eata.out.find("adapts along one stream: it runs on one rank"), std::string::npos) << eata.out;
}

TEST(CliDistributed, TwoAndThreeRanksGiveOneRunWithTheSingleProcessNumbers) {
  testing::TempDir dir;
  const std::string model = (testing::shared_dir() / "reference/fmn/fmnist_cnn.pt").string();
  const std::string cli = ROBUSTLAB_CLI;
  for (const std::string adapt : {"none", "bn"}) {
    for (const std::string corruptions : {"", " --corruptions gaussian_noise,fog --severities 1,3"}) {
      const std::string args = " --json -q eval --model " + model + " --limit 300 --batch-size 64 --adapt " + adapt + corruptions;
      const std::string name = adapt + (corruptions.empty() ? "-clean" : "-c");
      const Output single = run("--db " + (dir / (name + "1.db")).string() + args);
      ASSERT_EQ(single.code, 0) << single.out;
      auto expected = nlohmann::json::parse(single.out);
      const size_t rows = Store(dir / (name + "1.db")).results().size();
      for (int ranks : {2, 3}) {
        const std::filesystem::path db = dir / (name + std::to_string(ranks) + ".db");
        const Output o = run("launch --nproc " + std::to_string(ranks) + " -- " + cli + " --db " + db.string() + args);
        ASSERT_EQ(o.code, 0) << o.out;
        const auto got = nlohmann::json::parse(o.out);  // only rank 0 prints
        if (corruptions.empty()) {
          EXPECT_EQ(got.at("correct"), expected.at("correct")) << name << " on " << ranks << " ranks";
          EXPECT_EQ(got.at("total"), 300);
        } else {
          EXPECT_EQ(got.at("errors"), expected.at("errors")) << name << " on " << ranks << " ranks";
          EXPECT_EQ(got.at("mce"), expected.at("mce"));
        }
        Store store(db);
        EXPECT_EQ(store.runs().size(), 1u);
        EXPECT_EQ(store.results().size(), rows);  // the same rows, once
      }
    }
  }
}

std::map<std::string, double> stored_norms(const std::filesystem::path& db) {
  std::map<std::string, double> out;
  for (const auto& r : Store(db).results({.metric = "min_norm"})) out[r.row.condition.dump()] = r.row.value;
  return out;
}

// Every file under `root` (hidden temporaries too) with its bytes.
std::map<std::string, std::string> tree(const std::filesystem::path& root) {
  std::map<std::string, std::string> out;
  if (!std::filesystem::exists(root)) return out;
  for (const auto& path : files_under(root)) out[std::filesystem::relative(path, root).string()] = read_bytes(path);
  return out;
}

TEST(CliDistributed, ShardedAttackAndCorruptEqualOneProcess) {
  testing::TempDir dir;
  const std::string model = (testing::shared_dir() / "reference/fmn/fmnist_cnn.pt").string();
  const std::string cli = ROBUSTLAB_CLI;
  // One thread per process in both runs (as each rank takes): OpenBLAS's products of a few rows round
  // differently with 1 and 2 threads on some CPUs (AMD EPYC, Zen 3), and FMN amplifies that.
  const std::string attack = " -q --threads 1 attack --model " + model + " --limit 20 --batch-size 8 --steps 10 --attack fmn,ddn";
  ASSERT_EQ(run("--db " + (dir / "a1.db").string() + attack).code, 0);
  const Output two = run("launch --nproc 2 -- " + cli + " --db " + (dir / "a2.db").string() + attack);
  ASSERT_EQ(two.code, 0) << two.out;
  const auto single = stored_norms(dir / "a1.db");
  EXPECT_EQ(single.size(), 40u);
  EXPECT_EQ(stored_norms(dir / "a2.db"), single);  // every per-sample norm, bit for bit
  EXPECT_EQ(Store(dir / "a2.db").runs().size(), 1u);

  ASSERT_EQ(run("-q --db " + (dir / "s.db").string() + " stimuli svrt --problems 1 --samples 8 --output " +
                (dir / "images").string()).code, 0);
  const std::string corrupt = " -q corrupt --input " + (dir / "images").string() +
                              " --corruptions gaussian_noise,glass_blur --severities 2 --resize 0 --crop 0 --output ";
  ASSERT_EQ(run("--db " + (dir / "c1.db").string() + corrupt + (dir / "c1").string()).code, 0);
  const Output three = run("launch --nproc 3 -- " + cli + " --db " + (dir / "c3.db").string() + corrupt + (dir / "c3").string());
  ASSERT_EQ(three.code, 0) << three.out;
  const auto expected = tree(dir / "c1");
  EXPECT_EQ(expected.size(), 16u);
  EXPECT_EQ(tree(dir / "c3"), expected);  // the same files, byte for byte
  Store store(dir / "c3.db");
  EXPECT_EQ(store.runs().size(), 1u);
  EXPECT_EQ(store.results({.metric = "written"}).at(0).row.value, 16.0);
}

// A rank killed mid-run (SIGKILL) stops the launch; the run is marked failed with the conditions
// rank 0 stored; rerunning with a different number of ranks resumes it and ends with the numbers of
// one process.
// Launches `args` on 2 ranks against `db` and kills rank 1 (SIGKILL) as soon as the store holds a
// result row.
Output launch_killing_rank_1_after_first_row(const std::filesystem::path& db, const std::string& args) {
  const std::string first_row = "until [ \"$(sqlite3 " + db.string() +
                                " \"select count(*) from results\" 2>/dev/null)\" -gt 0 ] 2>/dev/null; do sleep 0.05; done";
  return run("launch --nproc 2 --grace 2 -- sh -c 'if [ \"$RANK\" = 1 ]; then (" + first_row + "; kill -9 $$) & fi; exec " +
             std::string(ROBUSTLAB_CLI) + " --db " + db.string() + args + "'");
}

TEST(CliDistributed, ARankKilledMidRunIsResumedByMoreRanks) {
  testing::TempDir dir;
  const std::string model = (testing::shared_dir() / "reference/fmn/fmnist_cnn.pt").string();
  const std::string cli = ROBUSTLAB_CLI;
  const std::string args = " -q --json eval --model " + model +
                           " --limit 256 --batch-size 64 --corruptions benchmark --severities 1,3,5 --adapt bn";
  const std::string db = " --db " + (dir / "r.db").string();
  // Rank 1 is killed as soon as rank 0 has stored its first condition.
  const Output killed = launch_killing_rank_1_after_first_row(dir / "r.db", args);
  EXPECT_NE(killed.code, 0);
  EXPECT_NE(killed.out.find("rank 1 was killed by signal"), std::string::npos) << killed.out;
  int64_t first_run = 0;
  size_t stored = 0;
  {
    Store store(dir / "r.db");
    ASSERT_EQ(store.runs().size(), 1u);
    first_run = store.runs()[0].id;
    EXPECT_EQ(store.runs()[0].status, RunStatus::kFailed);
    stored = store.results({.run_id = first_run, .metric = "error"}).size();
  }
  EXPECT_GT(stored, 0u);   // the clean error at least
  EXPECT_LT(stored, 46u);  // not every condition (clean + 15 × 3)
  const Output resumed = run("launch --nproc 3 -- " + cli + db + args);
  ASSERT_EQ(resumed.code, 0) << resumed.out;
  const Output single = run("--db " + (dir / "one.db").string() + args);
  ASSERT_EQ(single.code, 0) << single.out;
  EXPECT_EQ(nlohmann::json::parse(resumed.out).at("errors"), nlohmann::json::parse(single.out).at("errors"));
  Store store(dir / "r.db");
  ASSERT_EQ(store.runs().size(), 2u);
  EXPECT_EQ(store.runs()[1].config.at("resumed_from"), first_run);
  EXPECT_EQ(store.results({.run_id = store.runs()[1].id, .metric = "error"}).size(), 46u);
}

TEST(CliDistributed, AShardedAttackStoresEachRoundAndResumesOnOtherRanks) {
  testing::TempDir dir;
  const std::string model = (testing::shared_dir() / "reference/fmn/fmnist_cnn.pt").string();
  const std::string cli = ROBUSTLAB_CLI;
  const std::string args = " -q --threads 1 --json attack --model " + model + " --limit 48 --batch-size 8 --steps 100";
  const std::string db = " --db " + (dir / "r.db").string();
  // Rank 1 is killed once the first round (two batches) is stored.
  const Output killed = launch_killing_rank_1_after_first_row(dir / "r.db", args);
  EXPECT_NE(killed.code, 0);
  EXPECT_NE(killed.out.find("rank 1 was killed by signal"), std::string::npos) << killed.out;
  size_t stored = 0;
  {
    Store store(dir / "r.db");
    ASSERT_EQ(store.runs().size(), 1u);
    EXPECT_EQ(store.runs()[0].status, RunStatus::kFailed);
    stored = store.results({.run_id = store.runs()[0].id, .metric = "min_norm"}).size();
  }
  EXPECT_GT(stored, 0u);
  EXPECT_LT(stored, 48u);
  EXPECT_EQ(stored % 16, 0u);  // whole rounds of 2 batches of 8
  // Three ranks take the remaining batches only, and the norms are those of one process.
  const Output resumed = run("launch --nproc 3 -- " + cli + db + args.substr(3));  // without -q: the log says what it resumes
  ASSERT_EQ(resumed.code, 0) << resumed.out;
  EXPECT_NE(resumed.out.find(": " + std::to_string(stored) + " per-sample norms already measured"), std::string::npos)
      << resumed.out;
  ASSERT_EQ(run("--db " + (dir / "one.db").string() + args).code, 0);
  Store store(dir / "r.db");
  ASSERT_EQ(store.runs().size(), 2u);
  EXPECT_EQ(store.runs()[1].status, RunStatus::kCompleted);
  const auto rows = store.results({.run_id = store.runs()[1].id, .metric = "min_norm"});
  EXPECT_EQ(rows.size(), 48u);  // each sample once
  std::map<std::string, double> final_norms;
  for (const auto& r : rows) final_norms[r.row.condition.dump()] = r.row.value;
  EXPECT_EQ(final_norms, stored_norms(dir / "one.db"));
}

TEST(CliDistributed, RanksStartedByHandWithFlagsMeetAtTheirMaster) {
  testing::TempDir dir;
  const std::string model = (testing::shared_dir() / "reference/fmn/fmnist_cnn.pt").string();
  const std::string args = " --json -q eval --model " + model + " --limit 200 --batch-size 64";
  const Output single = run("--db " + (dir / "one.db").string() + args);
  ASSERT_EQ(single.code, 0) << single.out;
  const int port = 20000 + static_cast<int>(getpid() % 20000);
  const std::string flags = " --world-size 2 --master 127.0.0.1:" + std::to_string(port) + " --db " + (dir / "two.db").string();
  Output rank1;
  std::thread other([&] { rank1 = run("--rank 1" + flags + args); });
  const Output rank0 = run("--rank 0" + flags + args);
  other.join();
  ASSERT_EQ(rank0.code, 0) << rank0.out;
  ASSERT_EQ(rank1.code, 0) << rank1.out;
  EXPECT_EQ(nlohmann::json::parse(rank0.out).at("correct"), nlohmann::json::parse(single.out).at("correct"));
  EXPECT_EQ(Store(dir / "two.db").runs().size(), 1u);
  const Output alone = run("--world-size 2" + args + " --db " + (dir / "x.db").string());
  EXPECT_EQ(alone.code, 2);
  EXPECT_NE(alone.out.find("--world-size and --rank go together"), std::string::npos) << alone.out;
}

TEST(CliDistributed, AFailingRankStopsTheOthersAndBadEnvironmentsAreNamed) {
  testing::TempDir dir;
  // Rank 1 fails at once; rank 0 would sleep for a minute but is stopped.
  const auto start = std::chrono::steady_clock::now();
  const Output failed = run("launch --nproc 2 --grace 2 -- sh -c 'if [ \"$RANK\" = 1 ]; then exit 3; fi; sleep 60'");
  EXPECT_NE(failed.code, 0);
  EXPECT_NE(failed.out.find("rank 1 exited with code 3; the other ranks were stopped"), std::string::npos) << failed.out;
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(20));
  // Ranks with different settings stop at the start, naming the mismatch.
  const std::string model = (testing::shared_dir() / "reference/fmn/fmnist_cnn.pt").string();
  const Output mismatch = run("launch --nproc 2 -- sh -c '" + std::string(ROBUSTLAB_CLI) + " --db " + (dir / "m.db").string() +
                              " eval --model " + model + " --limit $((100 + RANK))'");
  EXPECT_NE(mismatch.code, 0);
  EXPECT_NE(mismatch.out.find("runs with a different eval configuration"), std::string::npos) << mismatch.out;
  const Output incomplete = run("eval --model " + model + " --limit 10 --db " + (dir / "i.db").string(),
                                "RANK=0 WORLD_SIZE=2 MASTER_PORT=1");
  EXPECT_NE(incomplete.code, 0);
  EXPECT_NE(incomplete.out.find("MASTER_ADDR is not set"), std::string::npos) << incomplete.out;
  const Output online = run("eval --model " + model + " --adapt ent --limit 10 --db " + (dir / "o.db").string(),
                            "RANK=0 WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=1");
  EXPECT_NE(online.out.find("adapts along one stream: it runs on one rank"), std::string::npos) << online.out;
}


// ---- Kill tests (docs/hardening.md): SIGKILL at several points of a long job, then the same
// command again; the end state must equal an uninterrupted run's: the same files (no partial or
// temporary file left), each result row once, and no run left "running".

// Starts `args` (a robustlab command line) and sends it SIGKILL once `ready()` holds, checked every
// 5 ms. Returns false when the command ended first.
bool kill_when(const std::string& args, const std::function<bool()>& ready) {
  const std::string command = "exec " + std::string(ROBUSTLAB_CLI) + " " + args + " >/dev/null 2>&1";
  const pid_t pid = fork();
  if (pid == 0) {
    execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::minutes(3);
  while (std::chrono::steady_clock::now() < give_up) {
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) return false;
    if (ready()) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
  ADD_FAILURE() << "gave up waiting: " << args;
  return true;
}

// Result rows of `db` that meet `where` (an SQL condition; 0 while the file does not exist), read
// without writing.
int64_t count_results(const std::filesystem::path& db, const std::string& where) {
  if (!std::filesystem::exists(db)) return 0;
  sqlite3* handle = nullptr;
  int64_t n = 0;
  if (sqlite3_open_v2(db.c_str(), &handle, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_busy_timeout(handle, 2000);
    sqlite3_stmt* s = nullptr;
    const std::string sql = "SELECT count(*) FROM results WHERE " + where;
    if (sqlite3_prepare_v2(handle, sql.c_str(), -1, &s, nullptr) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
      n = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
  }
  sqlite3_close(handle);
  return n;
}

// Rows with `metric` in `db`, over every run.
int64_t count_rows(const std::filesystem::path& db, const std::string& metric) {
  return count_results(db, "metric = '" + metric + "'");
}

// Kills `args` when `progress()` reaches each of `points` (one kill per point, each on a fresh
// start that resumes the last), then runs it to the end. Returns how many kills landed.
int kill_at_points(const std::string& args, const std::function<int64_t()>& progress, const std::vector<int64_t>& points) {
  int kills = 0;
  for (int64_t point : points) kills += kill_when(args, [&] { return progress() >= point; }) ? 1 : 0;
  const Output o = run(args);
  EXPECT_EQ(o.code, 0) << o.out;
  return kills;
}

// No run is left running: the `killed` runs are marked stale, and the last one completed.
void expect_runs_settled(const std::filesystem::path& db, int killed) {
  const auto runs = Store(db).runs();
  ASSERT_FALSE(runs.empty());
  int stale = 0;
  for (const auto& r : runs) {
    EXPECT_NE(r.status, RunStatus::kRunning) << "run " << r.id;
    stale += r.status == RunStatus::kFailed && r.message.find("stale") != std::string::npos ? 1 : 0;
  }
  EXPECT_EQ(stale, killed);
  EXPECT_EQ(runs.back().status, RunStatus::kCompleted);
}

int64_t count_files(const std::filesystem::path& root) {
  std::error_code ec;
  int64_t n = 0;
  for (auto it = std::filesystem::recursive_directory_iterator(root, ec); !ec && it != std::filesystem::recursive_directory_iterator();
       it.increment(ec))
    n += it->is_regular_file(ec) && it->path().filename().string()[0] != '.' ? 1 : 0;
  return n;
}

TEST(CliKill, CorruptEndsWithTheFilesOfAnUninterruptedRun) {
  testing::TempDir dir;
  const auto in = dir / "in";
  write_fashion_mnist_folder(in, 20);
  const std::string flags = " --corruptions fog,glass_blur,elastic_transform --severities 1-5 --resize 224 --crop 224";
  ASSERT_EQ(run("corrupt --input " + in.string() + " --output " + (dir / "ref").string() + flags + " --db " +
                (dir / "ref.db").string()).code, 0);
  const auto expected = tree(dir / "ref");
  ASSERT_EQ(expected.size(), 20u * 3 * 5);
  const std::string args = "corrupt --input " + in.string() + " --output " + (dir / "out").string() + flags + " --db " +
                           (dir / "r.db").string();
  const int kills = kill_at_points(args, [&] { return count_files(dir / "out"); }, {1, 150, 280});
  EXPECT_GE(kills, 2);
  EXPECT_EQ(tree(dir / "out"), expected);  // byte for byte, and no temporary file left over
  expect_runs_settled(dir / "r.db", kills);
}

TEST(CliKill, EvalCorruptionsEndsWithTheErrorsOfAnUninterruptedRun) {
  for (const std::string adapt : {"none", "bn"}) {
    testing::TempDir dir;
    const std::string flags = " --json -q eval --model " + model_path() +
                              " --limit 1000 --batch-size 100 --corruptions gaussian_noise,shot_noise,fog,contrast"
                              " --severities 1-3 --adapt " + adapt;
    const Output reference = run("--db " + (dir / "ref.db").string() + flags);
    ASSERT_EQ(reference.code, 0) << reference.out;
    const std::string args = "--db " + (dir / "r.db").string() + flags;
    const int kills = kill_at_points(args, [&] { return count_rows(dir / "r.db", "error"); }, {1, 6, 12});
    EXPECT_GE(kills, 2) << adapt;
    const Output last = run(args);  // the completed run is not resumed: everything again, same numbers
    ASSERT_EQ(last.code, 0);
    EXPECT_EQ(nlohmann::json::parse(last.out).at("errors"), nlohmann::json::parse(reference.out).at("errors")) << adapt;
    Store store(dir / "r.db");
    const auto runs = store.runs();
    // The run that finished after the kills holds every condition once (clean + 4 x 3).
    const int64_t finished = runs[runs.size() - 2].id;
    EXPECT_EQ(store.results({.run_id = finished, .metric = "error"}).size(), 13u) << adapt;
    std::set<std::string> conditions;
    for (const auto& r : store.results({.run_id = finished, .metric = "error"})) conditions.insert(r.row.condition.dump());
    EXPECT_EQ(conditions.size(), 13u);
    for (size_t i = 0; i + 2 < runs.size(); ++i) EXPECT_EQ(runs[i].status, RunStatus::kFailed);
    EXPECT_EQ(runs[runs.size() - 2].status, RunStatus::kCompleted);
  }
}

TEST(CliKill, AttackEndsWithTheNormsOfAnUninterruptedRun) {
  testing::TempDir dir;
  const std::string flags = " -q attack --model " + model_path() + " --limit 64 --batch-size 8 --steps 100";
  ASSERT_EQ(run("--db " + (dir / "ref.db").string() + flags).code, 0);
  const std::string args = "--db " + (dir / "r.db").string() + flags;
  const int kills = kill_at_points(args, [&] { return count_rows(dir / "r.db", "min_norm"); }, {8, 32, 56});
  EXPECT_GE(kills, 2);
  Store store(dir / "r.db");
  const int64_t last = store.runs().back().id;
  const auto rows = store.results({.run_id = last, .metric = "min_norm"});
  EXPECT_EQ(rows.size(), 64u);  // every sample once
  std::map<std::string, double> norms;
  for (const auto& r : rows) norms[r.row.condition.dump()] = r.row.value;
  EXPECT_EQ(norms, stored_norms(dir / "ref.db"));
  expect_runs_settled(dir / "r.db", kills);
}

// The training resumes after its last finished epoch (its .resume file), and ends with the same
// weights and the checkpoint alone: the resume file is removed once the model is saved.
TEST(CliKill, TrainResumesToTheSameWeightsAndLeavesTheCheckpointAlone) {
  testing::TempDir dir;
  const std::string flags = " -q --threads 1 train --epochs 3 --limit 3000 --batch-size 100";
  ASSERT_EQ(run("--db " + (dir / "ref.db").string() + flags + " --output " + (dir / "ref" / "m.ckpt").string()).code, 0);
  const std::string args = "--db " + (dir / "r.db").string() + flags + " --output " + (dir / "out" / "m.ckpt").string();
  const int kills = kill_at_points(args, [&] { return count_rows(dir / "r.db", "train_loss"); }, {1, 3});
  EXPECT_GE(kills, 1);
  ASSERT_EQ(tree(dir / "out").size(), 1u);  // the checkpoint alone, no temporary
  // The same weights (the metadata holds timings, so the bytes differ).
  const auto trained = load_classifier((dir / "out" / "m.ckpt").string())->parameters();
  const auto reference = load_classifier((dir / "ref" / "m.ckpt").string())->parameters();
  ASSERT_EQ(trained.size(), reference.size());
  for (size_t i = 0; i < trained.size(); ++i) EXPECT_TRUE(torch::equal(trained[i], reference[i])) << i;
  expect_runs_settled(dir / "r.db", kills);
}

// The rows of the newest completed run in `db`, by model, dataset, metric and condition. Training-curve rows (with
// a "step") are left out, since a resumed run holds them from where it resumed, and so are the
// `timings`, which differ between any two runs.
std::map<std::string, double> completed_run_rows(const std::filesystem::path& db, const std::set<std::string>& timings = {}) {
  const Store store(db);
  const auto runs = store.runs();
  for (auto r = runs.rbegin(); r != runs.rend(); ++r) {
    if (r->status != RunStatus::kCompleted) continue;
    std::map<std::string, double> out;
    for (const auto& row : store.results({.run_id = r->id}))
      if (!row.row.condition.contains("step") && timings.count(row.row.metric) == 0)
        out[row.row.model + " " + row.row.dataset + " " + row.row.metric + " " + row.row.condition.dump()] = row.row.value;
    return out;
  }
  return {};
}

// The same file names under both roots (temporaries included) and the same bytes in each file;
// a difference is reported by name, not by content.
void expect_same_files(const std::filesystem::path& got_root, const std::filesystem::path& want_root) {
  const auto got = tree(got_root), want = tree(want_root);
  std::vector<std::string> got_names, want_names;
  for (const auto& [name, bytes] : got) got_names.push_back(name);
  for (const auto& [name, bytes] : want) want_names.push_back(name);
  ASSERT_EQ(got_names, want_names);
  for (const auto& [name, bytes] : want) EXPECT_TRUE(got.at(name) == bytes) << name << " differs";
}

// Two training checkpoints hold the same state: weights, optimiser moments, step and both random
// engines. (Their bytes differ: the archive names its entries after the temporary file.)
void expect_same_checkpoint(const std::filesystem::path& got, const std::filesystem::path& want) {
  torch::jit::Module a = torch::jit::load(got.string()), b = torch::jit::load(want.string());
  EXPECT_EQ(a.attr("step").toInt(), b.attr("step").toInt());
  EXPECT_EQ(a.attr("rng").toStringRef(), b.attr("rng").toStringRef());
  const auto tensors = [](const torch::jit::Module& m) {
    std::map<std::string, torch::Tensor> out;
    for (const auto& p : m.named_parameters()) out[p.name] = p.value;
    for (const auto& p : m.named_buffers()) out[p.name] = p.value;
    return out;
  };
  const auto got_tensors = tensors(a), want_tensors = tensors(b);
  EXPECT_GT(want_tensors.size(), 4u);
  ASSERT_EQ(got_tensors.size(), want_tensors.size());
  for (const auto& [name, t] : want_tensors) {
    ASSERT_EQ(got_tensors.count(name), 1u) << name;
    EXPECT_TRUE(torch::equal(got_tensors.at(name), t)) << name;
  }
}

// The same rows (completed_run_rows; NaN equals NaN); a difference is reported row by row.
void expect_same_rows(const std::map<std::string, double>& got, const std::map<std::string, double>& want) {
  for (const auto& [key, value] : want) {
    const auto it = got.find(key);
    if (it == got.end())
      ADD_FAILURE() << "missing: " << key;
    else if (!(std::isnan(it->second) && std::isnan(value)))  // an undefined number (a relative mCE over no gap) in both
      EXPECT_EQ(it->second, value) << key;
  }
  for (const auto& [key, value] : got)
    if (want.count(key) == 0) ADD_FAILURE() << "extra: " << key;
}

// A kill test's two runs: `command(which)` is the command line writing under dir/<which>; "ref" runs
// uninterrupted into ref.db, "out" into r.db, killed at `points` of `progress` and then run to the
// end. Sets `kills` to how many kills landed.
void run_reference_and_kill(const std::filesystem::path& dir, const std::function<std::string(const std::string&)>& command,
                            const std::function<int64_t()>& progress, const std::vector<int64_t>& points, int& kills) {
  ASSERT_EQ(run("--db " + (dir / "ref.db").string() + " " + command("ref")).code, 0);
  kills = kill_at_points("--db " + (dir / "r.db").string() + " " + command("out"), progress, points);
}

TEST(CliKill, BenchmarkEndsWithTheRowsOfAnUninterruptedRun) {
  // The main job at a test's scale: a default model trained on 256 images (first, into the cache
  // both runs take it from), then the clean error, FMN, Fashion-MNIST-C with and without
  // adaptation, the continual streams, identifiability and the recognition gap. Killed after the
  // clean error, during FMN, during the corruptions, during the continual streams and during
  // identifiability; every kill resumes the one before.
  testing::TempDir dir;
  const std::string model = " benchmark --cache-dir " + (dir / "cache").string() + " --train-limit 256 --epochs 1 --report ''";
  const Output trained = run("--db " + (dir / "model.db").string() + model + " --only clean --limit 10");
  ASSERT_EQ(trained.code, 0) << trained.out;
  EXPECT_NE(trained.out.find("1 epochs on 256 images"), std::string::npos) << trained.out;
  const std::string flags = " -q" + model + " --limit 200 --attack-limit 16 --attack-steps 10 --corruption-limit 16 "
                            "--identify-steps 20 --gap-images 3 --svrt-presentations 0 "
                            "--only clean,attacks,corruptions,continual,identifiability,pitfalls";
  // Rows of the newest run: the clean error (1), FMN's norms (65), the corruptions (369), the continual
  // streams (545), identifiability (553).
  const auto progress = [&] {
    return count_results(dir / "r.db", "run_id = (SELECT max(id) FROM runs) AND metric IN ('error', 'min_norm', 'mcc')");
  };
  int kills = 0;
  ASSERT_NO_FATAL_FAILURE(run_reference_and_kill(
      dir.path(), [&](const std::string&) { return flags; }, progress, {1, 30, 200, 450, 548}, kills));
  EXPECT_GE(kills, 3);
  ASSERT_EQ(tree(dir / "cache").size(), 1u);  // the default model alone: no resume file left
  const auto rows = completed_run_rows(dir / "ref.db", {"train_seconds"});
  // Clean error and accuracy; 4 norms x (16 samples + 2); 4 methods x (1 + 75 errors, 15 CEs, 2 mCEs);
  // 11 continual methods x (16 errors, 15 CEs, 2 mCEs); 2 identifiability rows x 3 seeds x 6 + 2 x 4;
  // the gap: 3 images x 4 + 3.
  EXPECT_EQ(rows.size(), 2u + 4 * 18 + 4 * (76 + 17) + 11 * (16 + 17) + 2 * (3 * 6 + 4) + 3 * 4 + 3);
  expect_same_rows(completed_run_rows(dir / "r.db", {"train_seconds"}), rows);
  expect_runs_settled(dir / "r.db", kills);
  const auto runs = Store(dir / "r.db").runs();
  EXPECT_TRUE(runs.back().config.contains("resumed_from"));
}

TEST(CliKill, SlowVaeResumesToTheStateOfAnUninterruptedRun) {
  testing::TempDir dir;
  // Training only: the metrics of equal weights are equal (and take a minute).
  const std::string flags = " -q slowvae --steps 16 --checkpoint-every 2 --log-every 2 --batch-size 4 --no-metrics --checkpoint ";
  int kills = 0;
  ASSERT_NO_FATAL_FAILURE(run_reference_and_kill(
      dir.path(), [&](const std::string& which) { return flags + (dir / which / "vae.ckpt").string(); },
      [&] { return count_rows(dir / "r.db", "train_loss"); }, {2, 5}, kills));
  EXPECT_GE(kills, 1);
  ASSERT_EQ(tree(dir / "out").size(), 1u);  // the checkpoint alone, no temporary
  expect_same_checkpoint(dir / "out" / "vae.ckpt", dir / "ref" / "vae.ckpt");
  expect_runs_settled(dir / "r.db", kills);
}

TEST(CliKill, ObjectsTrainResumesToTheStateOfAnUninterruptedRun) {
  testing::TempDir dir;
  const std::string data = (dir / "vmds").string();
  ASSERT_EQ(run("-q objects generate -o " + data + " --train 4 --val 0 --test 0 --db " + (dir / "g.db").string()).code, 0);
  const std::string flags = " -q objects train --data " + data + " --batch 2 --clip 2 --slots 3 --dim 8 --channels 4 "
                            "--steps 24 --log-every 2 --checkpoint-every 2 --checkpoint ";
  int kills = 0;
  ASSERT_NO_FATAL_FAILURE(run_reference_and_kill(
      dir.path(), [&](const std::string& which) { return flags + (dir / which / "slots.ckpt").string(); },
      [&] { return count_rows(dir / "r.db", "train_mse"); }, {2, 6}, kills));
  EXPECT_GE(kills, 1);
  ASSERT_EQ(tree(dir / "out").size(), 1u);
  expect_same_checkpoint(dir / "out" / "slots.ckpt", dir / "ref" / "slots.ckpt");
  expect_runs_settled(dir / "r.db", kills);
}

TEST(CliKill, IdentifyTableEndsWithTheRowsOfAnUninterruptedRun) {
  testing::TempDir dir;
  const std::string flags = " -q identify --table synthetic --n 3 --steps 30 --batch-size 64 --cond-iterations 100 "
                            "--eval-batches 2 --seeds 2";
  int kills = 0;
  ASSERT_NO_FATAL_FAILURE(run_reference_and_kill(
      dir.path(), [&](const std::string&) { return flags; }, [&] { return count_rows(dir / "r.db", "g_mcc"); }, {1, 9}, kills));
  EXPECT_GE(kills, 1);
  const auto rows = completed_run_rows(dir / "ref.db", {"train_seconds"});
  EXPECT_EQ(rows.size(), 9u * (2 * 6 + 4));  // nine rows: six numbers per seed, four per row
  expect_same_rows(completed_run_rows(dir / "r.db", {"train_seconds"}), rows);
  expect_runs_settled(dir / "r.db", kills);
}

TEST(CliKill, PitfallsSvrtEndsWithTheAccuraciesOfAnUninterruptedRun) {
  testing::TempDir dir;
  const std::string flags = " -q pitfalls svrt --problems 2,22 --sizes 4,8 --presentations 8 --val-samples 4 "
                            "--test-samples 6 --arch small_cnn --data ";
  int kills = 0;
  ASSERT_NO_FATAL_FAILURE(run_reference_and_kill(
      dir.path(), [&](const std::string& which) { return flags + (dir / which).string(); },
      [&] { return count_rows(dir / "r.db", "test_accuracy"); }, {1, 3}, kills));
  EXPECT_GE(kills, 1);
  expect_same_files(dir / "out", dir / "ref");  // the generated sets
  expect_same_rows(completed_run_rows(dir / "r.db"), completed_run_rows(dir / "ref.db"));
  expect_runs_settled(dir / "r.db", kills);
}

TEST(CliKill, RecognitionGapEndsWithTheGapsOfAnUninterruptedRun) {
  testing::TempDir dir;
  const std::string flags = " -q recognition-gap --model " + model_path() + " --limit 12";
  int kills = 0;
  ASSERT_NO_FATAL_FAILURE(run_reference_and_kill(
      dir.path(), [&](const std::string&) { return flags; }, [&] { return count_rows(dir / "r.db", "recognition_gap"); }, {2, 7},
      kills));
  EXPECT_GE(kills, 1);
  const auto rows = completed_run_rows(dir / "ref.db");
  EXPECT_EQ(rows.size(), 12u * 4 + 3);  // four numbers per image, three for the set
  expect_same_rows(completed_run_rows(dir / "r.db"), rows);
  expect_runs_settled(dir / "r.db", kills);
}

TEST(CliKill, PitfallsContourEndsWithTheAccuraciesOfAnUninterruptedRun) {
  testing::TempDir dir;
  const std::string flags = " -q pitfalls contour --repetitions 2 --test-repetitions 1 --epochs 3 --sets training,3-gons "
                            "--size 32 --arch small_cnn --data ";
  // Killed while it writes the stimuli (10 files), then while it trains (after epoch 1).
  const auto progress = [&] { return count_files(dir / "out") + 1000 * count_rows(dir / "r.db", "train_loss"); };
  int kills = 0;
  ASSERT_NO_FATAL_FAILURE(run_reference_and_kill(
      dir.path(), [&](const std::string& which) { return flags + (dir / which).string(); }, progress, {10, 1001}, kills));
  EXPECT_GE(kills, 1);
  for (const char* set : {"train", "test"}) expect_same_files(dir / "out" / set, dir / "ref" / set);
  const auto rows = [&](const std::string& db, const std::string& folder) {  // the model is named by its path
    std::map<std::string, double> out;
    for (const auto& [key, value] : completed_run_rows(dir / db)) out[key.substr(key.find(folder) + folder.size())] = value;
    return out;
  };
  const auto expected = rows("ref.db", "/ref/");
  EXPECT_EQ(expected.size(), 10u);  // two sets by two criteria, and the loss and accuracy of three epochs
  expect_same_rows(rows("r.db", "/out/"), expected);
  expect_runs_settled(dir / "r.db", kills);
}

TEST(CliKill, HumanRunEndsWithTheCsvsOfAnUninterruptedRun) {
  testing::TempDir dir;
  testing::save_brightness_model(dir / "bright_model.pt");
  std::string images;
  for (const std::string dataset : {"sketch", "edge", "silhouette"}) {
    const auto stimuli = dir / dataset / "dnn" / "session-1";
    std::filesystem::create_directories(stimuli);
    for (int i = 0; i < 150; ++i) {
      const std::string category = i % 2 ? "knife" : "airplane";
      char name[128];
      std::snprintf(name, sizeof name, "%04d_x_dnn_0_%s_00_%s-%04d-%s-0.png", i + 1, category.c_str(), category.c_str(),
                    i + 1, dataset.c_str());
      cv::imwrite((stimuli / name).string(), cv::Mat(256, 256, CV_8UC3, cv::Scalar(i, 255 - i, 2 * i % 255)));
    }
    images += " " + (dir / dataset).string();
  }
  const std::string flags = " -q human run --model " + (dir / "bright_model.pt").string() + " --batch-size 16 --images" + images;
  int kills = 0;
  ASSERT_NO_FATAL_FAILURE(run_reference_and_kill(
      dir.path(), [&](const std::string& which) { return flags + " -o " + (dir / which).string(); },
      [&] { return count_rows(dir / "r.db", "16_class_accuracy"); }, {1, 2}, kills));
  EXPECT_GE(kills, 1);
  // After the second kill the last run took two datasets from the killed one and ran the third.
  if (kills == 2) EXPECT_TRUE(Store(dir / "r.db").runs().back().config.contains("resumed_from"));
  expect_same_files(dir / "out", dir / "ref");
  const auto rows = completed_run_rows(dir / "ref.db");
  EXPECT_EQ(rows.size(), 3u);
  expect_same_rows(completed_run_rows(dir / "r.db"), rows);
  expect_runs_settled(dir / "r.db", kills);
}

// The generators (stimuli, videos, feature visualisations): killed while writing, then run again,
// they leave the files of an uninterrupted run.
TEST(CliKill, GeneratorsEndWithTheFilesOfAnUninterruptedRun) {
  struct Case {
    std::string args;  // with the output folder last
    int64_t points[2];
  };
  for (const Case& c : std::vector<Case>{
           {"stimuli svrt --problems 1,7,22 --samples 40 --output", {10, 80}},
           {"stimuli contour --set 3-gons --repetitions 6 --output", {10, 60}},
           {"objects generate --train 0 --val 0 --test 24 --shard 4 -o", {2, 8}},
           {"experiment stimuli --images 4 --batches 2 --steps 30 --limit 100 --out", {5, 40}}}) {
    SCOPED_TRACE(c.args);
    testing::TempDir dir;
    int kills = 0;
    ASSERT_NO_FATAL_FAILURE(run_reference_and_kill(
        dir.path(), [&](const std::string& which) { return "-q " + c.args + " " + (dir / which).string(); },
        [&] { return count_files(dir / "out"); }, {c.points[0], c.points[1]}, kills));
    EXPECT_GE(kills, 1) << c.args;
    expect_same_files(dir / "out", dir / "ref");
  }
}

// ---- Full and read-only disks (docs/hardening.md).

// A tmpfs of `kib` KiB mounted at `path` while this lives, where the test may mount one (root with
// CAP_SYS_ADMIN); mounted() says whether it could.
class SmallDisk {
 public:
  SmallDisk(std::filesystem::path path, int kib) : path_(std::move(path)) {
    std::filesystem::create_directories(path_);
    mounted_ = std::system(("mount -t tmpfs -o size=" + std::to_string(kib) + "k tmpfs " + path_.string() +
                            " 2>/dev/null").c_str()) == 0;
  }
  ~SmallDisk() {
    if (mounted_) std::system(("umount " + path_.string()).c_str());
  }
  bool mounted() const { return mounted_; }
  bool remount(const std::string& options) const {
    return std::system(("mount -o remount," + options + " " + path_.string()).c_str()) == 0;
  }

 private:
  std::filesystem::path path_;
  bool mounted_ = false;
};

// The last line of a command's output: the error robustlab prints.
std::string last_line(const std::string& out) {
  const std::string trimmed = out.substr(0, out.find_last_not_of('\n') + 1);
  return trimmed.substr(trimmed.rfind('\n') == std::string::npos ? 0 : trimmed.rfind('\n') + 1);
}

TEST(CliDiskFull, CorruptStopsWithOneLineAndKeepsEveryFileWhole) {
  testing::TempDir dir;
  const auto in = dir / "in";
  write_fashion_mnist_folder(in, 20);
  const std::string flags = " --corruptions fog,contrast --severities 1-5 --resize 224 --crop 224 -q";
  ASSERT_EQ(run("corrupt --input " + in.string() + " --output " + (dir / "ref").string() + flags + " --db " +
                (dir / "ref.db").string()).code, 0);
  const auto expected = tree(dir / "ref");
  const SmallDisk disk(dir / "small", 256);  // room for part of the ~200 outputs
  const auto out = disk.mounted() ? dir / "small" / "out" : dir / "out";
  const std::string args = "corrupt --input " + in.string() + " --output " + out.string() + flags + " --db " +
                           (dir / "r.db").string();
  // A full disk (the tmpfs), or, where no file system can be mounted, a file-size limit below the
  // outputs' size (so every write fails as on a full disk).
  const Output full = run(disk.mounted() ? args : "--version >/dev/null; exec prlimit --fsize=2048 " +
                                                      std::string(ROBUSTLAB_CLI) + " " + args);
  EXPECT_NE(full.code, 0) << full.out;
  EXPECT_NE(last_line(full.out).find("robustlab: error: "), std::string::npos) << full.out;
  EXPECT_NE(last_line(full.out).find("disk full"), std::string::npos) << full.out;
  // What was written is whole: each file is the reference's, and no temporary is left.
  const auto partial = tree(out);
  if (disk.mounted()) EXPECT_GT(partial.size(), 0u);
  EXPECT_LT(partial.size(), expected.size());
  for (const auto& [name, bytes] : partial) {
    ASSERT_TRUE(expected.count(name)) << name;
    EXPECT_EQ(bytes, expected.at(name)) << name;
  }
  EXPECT_EQ(Store(dir / "r.db").runs().back().status, RunStatus::kFailed);
  // With room again, the same command finishes the job.
  if (disk.mounted()) ASSERT_TRUE(disk.remount("size=64m"));
  ASSERT_EQ(run(args).code, 0);
  EXPECT_EQ(tree(out), expected);
  if (!disk.mounted()) return;
  // A read-only output: one line, nothing written.
  ASSERT_TRUE(disk.remount("ro"));
  const Output ro = run("corrupt --input " + in.string() + " --output " + (dir / "small" / "ro").string() + flags +
                        " --db " + (dir / "r.db").string());
  EXPECT_EQ(ro.code, 3) << ro.out;
  EXPECT_NE(last_line(ro.out).find("cannot create the output directory"), std::string::npos) << ro.out;
}

TEST(CliDiskFull, AFullStoreFailsClearlyAndKeepsItsRows) {
  testing::TempDir dir;
  const SmallDisk disk(dir / "small", 8192);  // the WAL alone may grow to 4 MB
  if (!disk.mounted()) GTEST_SKIP() << "no tmpfs can be mounted here; the store's full-disk path is tested through "
                                       "RLIMIT_FSIZE in the web experiment's tests";
  const auto db = dir / "small" / "r.db";
  const std::string args = "--db " + db.string() + " -q eval --model " + model_path() +
                           " --limit 200 --batch-size 100 --corruptions benchmark --severities 1-5";
  // Fill the disk but for a little, so that the store runs out mid-run.
  ASSERT_EQ(run("--db " + db.string() + " -q eval --model " + model_path() + " --limit 20").code, 0);
  {
    std::ofstream filler(dir / "small" / "filler", std::ios::binary);
    const std::string block(4096, 'x');
    while (filler.write(block.data(), block.size())) {
    }
  }
  std::filesystem::resize_file(dir / "small" / "filler", std::filesystem::file_size(dir / "small" / "filler") - 48 * 1024);
  const Output full = run(args);
  EXPECT_NE(full.code, 0) << full.out;
  EXPECT_NE(last_line(full.out).find("robustlab: error: "), std::string::npos) << full.out;
  EXPECT_NE(full.out.find("full"), std::string::npos) << full.out;
  // The database is whole: the first run and its rows are there, and it opens and checks clean.
  std::filesystem::remove(dir / "small" / "filler");
  Store store(db);
  const auto runs = store.runs();
  ASSERT_GE(runs.size(), 1u);
  EXPECT_EQ(runs[0].status, RunStatus::kCompleted);
  EXPECT_FALSE(store.results({.run_id = runs[0].id}).empty());
  const Output check = run("--db " + db.string() + " results --json");
  EXPECT_EQ(check.code, 0) << check.out;
  // With room again the interrupted benchmark resumes and completes.
  const Output again = run(args);
  EXPECT_EQ(again.code, 0) << again.out;
}
}  // namespace
}  // namespace robustlab
