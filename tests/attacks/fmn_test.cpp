#include "robustlab/attacks/fmn.h"

#include <gtest/gtest.h>

#include <cmath>

#include <fstream>
#include <nlohmann/json.hpp>

#include "attack_support.h"
#include "robustlab/attacks/curves.h"
#include "robustlab/core/environment.h"
#include "robustlab/core/error.h"
#include "robustlab/core/parallel.h"
#include "robustlab/data/tensor_file.h"
#include "robustlab/models/load.h"
#include "test_support.h"

namespace robustlab::attacks {
namespace {

using robustlab::testing::FunctionClassifier;
using testing::affine_classifier;
using testing::constant_classifier;

/// Two classes, 20 inputs at 0.5: the margin l = a.x + c and the exact minimal distances.
struct AffineCase {
  torch::Tensor a;  // [20] = w0 - w1
  double margin;    // l at x = 0.5
  FunctionClassifier model;
  torch::Tensor x;
  torch::Tensor y;
};

AffineCase affine_case() {
  torch::manual_seed(3);
  const torch::Tensor w = torch::randn({2, 20});
  const torch::Tensor a = w[0] - w[1];
  const torch::Tensor x = torch::full({1, 1, 4, 5}, 0.5f);
  // Class 0 by a margin small enough that every minimal perturbation stays inside [0,1].
  const double margin = 0.05 * a.abs().max().item<double>();
  const double c = margin - (a * 0.5).sum().item<double>();
  return {a, margin, affine_classifier(w, torch::tensor({static_cast<float>(c), 0.0f})), x, torch::tensor({0L})};
}

TEST(Fmn, AffineModelReachesTheClosedFormDistance) {
  AffineCase t = affine_case();
  const double l1 = t.margin / t.a.abs().max().item<double>();  // dual of L1 is Linf
  const double l2 = t.margin / t.a.norm().item<double>();
  const double linf = t.margin / t.a.abs().sum().item<double>();
  // L0: fewest coordinates whose full move (0.5 each) covers the margin.
  const torch::Tensor gains = std::get<0>((t.a.abs() * 0.5).sort(0, true)).cumsum(0);
  const double l0 = gains.lt(t.margin).sum().item<double>() + 1;
  for (bool official : {true, false}) {
    for (const auto& [norm, exact, tolerance] : std::vector<std::tuple<Norm, double, double>>{
             {Norm::kL1, l1, 0.01 * l1}, {Norm::kL2, l2, 0.01 * l2}, {Norm::kLinf, linf, 0.01 * linf}, {Norm::kL0, l0, 1.0}}) {
      const AttackResult r = fmn(t.model, t.x, t.y, {.norm = norm, .steps = 300, .official = official});
      if (official && !r.success[0].item<bool>() && (norm == Norm::kL1 || norm == Norm::kL2)) {
        // On an affine model the official first-order step |l| / ||grad||_q lands exactly on the
        // boundary, and every later step stays on it: whether an iterate ends with l < 0 is the
        // sign of a rounding error (OpenBLAS's generic and AVX-512 kernels give different signs
        // for L2). The box-aware default below must succeed regardless.
        EXPECT_TRUE(std::isinf(r.norms[0].item<double>())) << to_string(norm);
        continue;
      }
      ASSERT_TRUE(r.success[0].item<bool>()) << to_string(norm) << (official ? " official" : " default");
      const double found = r.norms[0].item<double>();
      EXPECT_GE(found, exact * (1 - 1e-4) - 1e-6) << to_string(norm) << ": below the minimum is impossible";
      EXPECT_LE(found, exact + tolerance) << to_string(norm) << (official ? " official" : " default");
    }
  }
}

TEST(Fmn, TargetedAndAlreadyMisclassified) {
  torch::manual_seed(1);
  const torch::Tensor w = torch::randn({3, 20});
  FunctionClassifier model = affine_classifier(w, torch::zeros({3}));
  const torch::Tensor x = torch::rand({4, 1, 4, 5});
  const torch::Tensor pred = model.forward(x).argmax(1);
  const torch::Tensor targets = (pred + 1) % 3;
  const AttackResult r = fmn(model, x, pred, {.norm = Norm::kL2, .targeted = true}, targets);
  EXPECT_TRUE(r.adversarial.defined());
  for (int64_t i = 0; i < 4; ++i) {
    if (r.success[i].item<bool>()) {
      EXPECT_EQ(model.forward(r.adversarial).argmax(1)[i].item<int64_t>(), targets[i].item<int64_t>());
    }
  }
  EXPECT_THROW(fmn(model, x, pred, {.targeted = true}, pred), InvalidArgument);  // towards the true class
  EXPECT_THROW(fmn(model, x, pred, {.targeted = true}), InvalidArgument);        // no targets
  // A wrong label means the clean input is already adversarial: norm 0.
  const AttackResult wrong = fmn(model, x, (pred + 1) % 3, {.norm = Norm::kL1, .steps = 5});
  EXPECT_TRUE(wrong.success.all().item<bool>());
  EXPECT_EQ(wrong.norms.abs().max().item<double>(), 0.0);
}

TEST(Fmn, ZeroGradientsAndL0AtTheInputSize) {
  FunctionClassifier model = constant_classifier();
  const torch::Tensor x = torch::rand({2, 1, 2, 3});
  for (Norm norm : {Norm::kL0, Norm::kL1, Norm::kL2, Norm::kLinf}) {
    // eps grows to the input size (6) for L0 without crashing; nothing is ever adversarial.
    const AttackResult r = fmn(model, x, torch::tensor({0L, 0L}), {.norm = norm, .steps = 60});
    EXPECT_FALSE(r.success.any().item<bool>()) << to_string(norm);
    EXPECT_TRUE(torch::isinf(r.norms).all().item<bool>()) << to_string(norm);
    EXPECT_TRUE(r.adversarial.equal(x)) << to_string(norm);
  }
}

TEST(Fmn, NonFiniteLogitsAreFailuresAndBadInputIsRejected) {
  FunctionClassifier nan_model = constant_classifier(true);
  const torch::Tensor x = torch::rand({2, 1, 2, 3});
  const AttackResult r = fmn(nan_model, x, torch::tensor({0L, 1L}), {.norm = Norm::kL2, .steps = 5});
  EXPECT_FALSE(r.success.any().item<bool>());
  FunctionClassifier model = constant_classifier();
  EXPECT_THROW(fmn(model, x, torch::tensor({0L, 7L}), {}), InvalidArgument);
  EXPECT_THROW(fmn(model, x, torch::tensor({0L}), {}), ShapeError);
  EXPECT_THROW(fmn(model, x * 3, torch::tensor({0L, 0L}), {}), InvalidArgument);
  EXPECT_THROW(fmn(model, x, torch::tensor({0L, 0L}), {.steps = 0}), InvalidArgument);
  EXPECT_THROW(parse_norm("3"), InvalidArgument);
  EXPECT_EQ(parse_norm("inf"), Norm::kLinf);
  EXPECT_EQ(parse_norm("L2"), Norm::kL2);
}

TEST(Fmn, StartingPointsGiveAnAdversarialFromTheFirstStep) {
  AffineCase t = affine_case();
  const torch::Tensor start = (t.x - 0.45 * t.a.sign().view({1, 1, 4, 5})).clamp(0, 1);
  ASSERT_NE(t.model.forward(start).argmax(1)[0].item<int64_t>(), 0);
  const AttackResult r = fmn(t.model, t.x, t.y, {.norm = Norm::kL2, .steps = 1}, {}, start);
  EXPECT_TRUE(r.success[0].item<bool>());
  EXPECT_LT(r.norms[0].item<double>(), perturbation_norms(t.x, start, Norm::kL2)[0].item<double>());
  EXPECT_THROW(fmn(t.model, t.x, t.y, {.norm = Norm::kL2}, {}, t.x), InvalidArgument);  // not adversarial
}

/// The reference set (200 images), and the reference runs' per-sample results on it.
struct Reference {
  ClassifierPtr model;
  torch::Tensor x, y;
  nlohmann::json runs;
};
const Reference& reference() {
  static Reference r = [] {
    const auto dir = robustlab::testing::shared_dir() / "reference/fmn";
    Reference out;
    out.model = load_classifier((dir / "fmnist_cnn.pt").string());
    const auto data = load_tensor_file(dir / "fmnist_test200.pt", 10);
    std::vector<int64_t> idx(static_cast<size_t>(data->size()));
    std::iota(idx.begin(), idx.end(), 0);
    const auto b = data->get_batch(idx);
    out.x = b.x;
    out.y = b.y;
    std::ifstream(dir / "fmn_reference.json") >> out.runs;
    return out;
  }();
  return r;
}

const nlohmann::json& run_of(const std::string& id) {
  for (const auto& run : reference().runs.at("runs")) {
    if (run.at("id") == id) return run;
  }
  throw std::runtime_error("no reference run " + id);
}

/// The reference runs were made with the reference (netlib) BLAS. A BLAS that blocks its matrix
/// products differently rounds float32 differently, and FMN's trajectories amplify that over the
/// steps. ../shared/reference/fmn/README.md §4 measured how far rounding alone moves the official
/// attack (the five K = 100 runs repeated in float64, 200 images): per-sample norms by a median
/// relative 1e-6, a 90th percentile up to 2e-3 and a maximum of 2e-2; success flags flipped on 0
/// (L0, L∞), 1 (L1) and 5 (L2) images. Those are the tolerances here.
struct RoundingTolerance {
  double max_relative = 2e-2;      // the float64 re-run's largest per-sample change
  double p90_relative = 2e-3;      // its 90th percentile
  double median_relative = 1e-5;   // its median (1e-6), with a decade for another BLAS's blocking
};

/// The reference model behind a wrapper that records, per row, the logit difference l closest to
/// the decision boundary over every forward pass of an attack, and l at the first pass (the clean
/// input). In official mode the rows are the samples, in order, on every call.
struct BoundaryRecorder {
  ClassifierPtr inner;
  torch::Tensor labels, clean, closest;  // [N] float64
  FunctionClassifier model;
  BoundaryRecorder(ClassifierPtr m, torch::Tensor y)
      : inner(std::move(m)),
        labels(std::move(y)),
        model(
            [this](const torch::Tensor& x) {
              const torch::Tensor logits = inner->forward(x);
              const torch::Tensor l = logit_difference(logits.detach(), labels, false).to(torch::kFloat64);
              if (!clean.defined()) {
                clean = l.clone();
                closest = l.abs();
              }
              closest = torch::minimum(closest, l.abs());
              return logits;
            },
            10, {}, inner->parameters()) {}
};

/// A success flag may differ from the reference's only where the attack passes the decision
/// boundary within rounding distance: a relative change of the path by the typical (90th
/// percentile, 2e-3) rounding displacement above moves the logit difference by about 2e-3 of what
/// the path removes, the clean margin. (Under OpenBLAS the flipped images come within 0 (an exact
/// tie, L1 image 158) to 1.3e-4 of it; about half of the L1 failures stay further away than 2e-3.)
void expect_agreement(const AttackResult& r, const nlohmann::json& run, const BoundaryRecorder& rec, int64_t images,
                      int allowed_flips, bool quantiles, const RoundingTolerance& tol = {}) {
  const std::string id = run.at("id");
  int flips = 0;
  std::vector<double> relative;
  for (int64_t i = 0; i < images; ++i) {
    const bool ours = r.success[i].item<bool>(), theirs = run.at("success")[i].get<int>() == 1;
    if (ours != theirs) {
      ++flips;
      const double closest = rec.closest[i].item<double>(), margin = rec.clean[i].item<double>();
      EXPECT_LE(closest, tol.p90_relative * margin)
          << id << " image " << i << ": success differs but the attack never came within rounding distance "
          << "of the boundary (closest |l| " << closest << ", clean margin " << margin << ")";
    } else if (ours) {
      const double want = run.at("norm_values")[i].get<double>();
      relative.push_back(std::abs(r.norms[i].item<double>() / want - 1));
      EXPECT_LE(relative.back(), tol.max_relative) << id << " image " << i;
    }
  }
  EXPECT_LE(flips, allowed_flips) << id;
  if (!quantiles || relative.empty()) return;
  std::sort(relative.begin(), relative.end());
  auto quantile = [&](double q) { return relative[static_cast<size_t>(q * static_cast<double>(relative.size() - 1))]; };
  EXPECT_LE(quantile(0.5), tol.median_relative) << id;
  EXPECT_LE(quantile(0.9), tol.p90_relative) << id;
}

TEST(FmnReference, OfficialModeAgreesWithTheOfficialImplementationUnderAnyBlas) {
  // All 200 images at K = 100: the quantiles of §4 need a sample of its size. The flips allowed are
  // of the order the reference measured itself in float64 (0, 1, 5, 0 of 200); measured here: L2 flips
  // 2 under OpenBLAS with AVX-512 (Intel Xeon), 6 with AVX2 (AMD EPYC Zen 3).
  set_threads(2);
  const Reference& ref = reference();
  for (const auto& [norm, id, flips] : std::vector<std::tuple<Norm, std::string, int>>{
           {Norm::kL0, "official_L0_K100_a1", 0},
           {Norm::kL1, "official_L1_K100_a1", 1},
           {Norm::kL2, "official_L2_K100_a1", 7},
           {Norm::kLinf, "official_Linf_K100_a1", 0}}) {
    BoundaryRecorder rec(ref.model, ref.y);
    const AttackResult r = fmn(rec.model, ref.x, ref.y, {.norm = norm, .steps = 100, .official = true});
    expect_agreement(r, run_of(id), rec, 200, flips, true);
  }
}

TEST(FmnReference, OfficialModeAgreesAtAThousandStepsUnderAnyBlas) {
  // K = 1000, where rounding differences have ten times as many steps to grow: the first 8 images,
  // each within the float64 maximum (§4 measured no quantiles at K = 1000; 8 samples have none).
  set_threads(2);
  const Reference& ref = reference();
  const torch::Tensor x = ref.x.narrow(0, 0, 8), y = ref.y.narrow(0, 0, 8);
  for (const auto& [norm, id, flips] : std::vector<std::tuple<Norm, std::string, int>>{
           {Norm::kL1, "official_L1_K1000_a1", 1}, {Norm::kL2, "official_L2_K1000_a1", 1}}) {
    BoundaryRecorder rec(ref.model, y);
    const AttackResult r = fmn(rec.model, x, y, {.norm = norm, .steps = 1000, .official = true});
    expect_agreement(r, run_of(id), rec, 8, flips, false);
  }
}

/// Under the BLAS the reference runs were made with, the official mode follows the official code's
/// float32 order of operations, so it equals the reference image by image (8 stored digits).
/// CTest runs this with Debian's reference BLAS selected through LD_LIBRARY_PATH
/// (FmnReference.ExactUnderTheReferenceBlas); under another BLAS it is skipped.
/// The reference runs were also made with LibTorch's AVX-512 kernels: on a CPU without AVX-512 (AMD
/// EPYC Zen 3: ATen dispatches AVX2) the vectorised reductions add in another order, and neither the
/// AVX2 nor the scalar kernels reproduce the stored digits (16 and 5 of the 80 norms differ, by up to
/// a relative 3e-6). There the test is skipped; the agreement within rounding stays checked by the
/// *UnderAnyBlas tests.
void require_reference_blas() {
  if (cpu_kernels() != "avx512") {
    GTEST_SKIP() << "the reference runs were made with LibTorch's avx512 kernels; this process runs its " << cpu_kernels();
  }
  const char* expected = std::getenv("ROBUSTLAB_EXPECT_BLAS");
  if (expected && std::string(expected) == "reference") {
    ASSERT_EQ(loaded_blas().kind, BlasKind::kReference) << loaded_blas().library;
  } else if (loaded_blas().kind != BlasKind::kReference) {
    GTEST_SKIP() << "needs the reference BLAS; CTest runs it as FmnReference.ExactUnderTheReferenceBlas";
  }
}

TEST(FmnReferenceExact, OfficialModeEqualsTheOfficialImplementation) {
  require_reference_blas();
  if (::testing::Test::IsSkipped() || ::testing::Test::HasFatalFailure()) return;
  set_threads(2);
  const Reference& ref = reference();
  const torch::Tensor x = ref.x.narrow(0, 0, 20), y = ref.y.narrow(0, 0, 20);
  for (const auto& [norm, id] : std::vector<std::pair<Norm, std::string>>{{Norm::kL0, "official_L0_K100_a1"},
                                                                          {Norm::kL1, "official_L1_K100_a1"},
                                                                          {Norm::kL2, "official_L2_K100_a1"},
                                                                          {Norm::kLinf, "official_Linf_K100_a1"}}) {
    const AttackResult r = fmn(*ref.model, x, y, {.norm = norm, .steps = 100, .official = true});
    const auto& run = run_of(id);
    for (int64_t i = 0; i < 20; ++i) {
      ASSERT_EQ(r.success[i].item<bool>(), run.at("success")[i].get<int>() == 1) << id << " image " << i;
      if (r.success[i].item<bool>()) {
        const double want = run.at("norm_values")[i].get<double>();
        EXPECT_NEAR(r.norms[i].item<double>(), want, 1e-6 * want) << id << " image " << i;
      }
    }
  }
}

TEST(FmnReferenceExact, OfficialModeEqualsAtAThousandSteps) {
  require_reference_blas();
  if (::testing::Test::IsSkipped() || ::testing::Test::HasFatalFailure()) return;
  set_threads(2);
  const Reference& ref = reference();
  const torch::Tensor x = ref.x.narrow(0, 0, 8), y = ref.y.narrow(0, 0, 8);
  for (const auto& [norm, id] : std::vector<std::pair<Norm, std::string>>{{Norm::kL1, "official_L1_K1000_a1"},
                                                                          {Norm::kL2, "official_L2_K1000_a1"}}) {
    const AttackResult r = fmn(*ref.model, x, y, {.norm = norm, .steps = 1000, .official = true});
    const auto& run = run_of(id);
    for (int64_t i = 0; i < 8; ++i) {
      ASSERT_EQ(r.success[i].item<bool>(), run.at("success")[i].get<int>() == 1) << id << " image " << i;
      if (r.success[i].item<bool>()) {
        const double want = run.at("norm_values")[i].get<double>();
        EXPECT_NEAR(r.norms[i].item<double>(), want, 1e-6 * want) << id << " image " << i;
      }
    }
  }
}

TEST(FmnReference, DefaultModeSucceedsWhereTheOfficialFailsAndIsNeverWorse) {
  set_threads(2);
  const Reference& ref = reference();
  const torch::Tensor x20 = ref.x.narrow(0, 0, 20), y20 = ref.y.narrow(0, 0, 20);
  for (const auto& [norm, id] : std::vector<std::pair<Norm, std::string>>{{Norm::kL1, "official_L1_K100_a1"},
                                                                          {Norm::kL2, "official_L2_K100_a1"}}) {
    const AttackResult r = fmn(*ref.model, x20, y20, {.norm = norm, .steps = 100});
    EXPECT_TRUE(r.success.all().item<bool>()) << to_string(norm);
    std::vector<double> official;
    for (int64_t i = 0; i < 20; ++i) {
      official.push_back(run_of(id).at("success")[i].get<int>() == 1 ? run_of(id).at("norm_values")[i].get<double>()
                                                                      : std::numeric_limits<double>::infinity());
    }
    EXPECT_LT(median_norm(r.norms), median_norm(torch::tensor(official, torch::kFloat64))) << to_string(norm);
    // Where the official attack succeeds, the default's norm is no larger: compared with this
    // implementation's official mode (the same trajectory; only float32 rounding differs, as the
    // batch holds extra rows) and with the reference (README §4's typical float32 spread, 2e-3).
    const AttackResult o = fmn(*ref.model, x20, y20, {.norm = norm, .steps = 100, .official = true});
    for (int64_t i = 0; i < 20; ++i) {
      const double mine = r.norms[i].item<double>(), own = o.norms[i].item<double>();
      if (std::isfinite(own)) {
        EXPECT_LE(mine, own * (1 + 1e-4)) << to_string(norm) << " image " << i;
      }
      if (std::isfinite(official[static_cast<size_t>(i)])) {
        EXPECT_LE(mine, official[static_cast<size_t>(i)] * (1 + 2e-3)) << to_string(norm) << " image " << i;
      }
    }
  }
}

}  // namespace
}  // namespace robustlab::attacks
