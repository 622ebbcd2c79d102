// The Python extension module robustlab._robustlab (pybind11): the C++ library's corruptions,
// attacks, test-time adaptation, model-vs-human and representation metrics and results store,
// called from Python with no copy of tensors (torch.Tensor arguments are LibTorch tensors on the
// same storage; numpy images are wrapped, not copied) and without the GIL during the work. The
// Python-facing API (names, defaults, docstrings) is robustlab/__init__.py; this file converts.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include <torch/csrc/jit/python/pybind_utils.h>
#include <torch/extension.h>

#include <csignal>

#include "robustlab/adaptation/bn.h"
#include "robustlab/adaptation/self_learning.h"
#include "robustlab/attacks/fmn.h"
#include "robustlab/core/allocator.h"
#include "robustlab/core/environment.h"
#include "robustlab/core/error.h"
#include "robustlab/core/parallel.h"
#include "robustlab/corruptions/corruptions.h"
#include "robustlab/corruptions/folder.h"
#include "robustlab/human/metrics.h"
#include "robustlab/models/load.h"
#include "robustlab/representation/disentanglement.h"
#include "robustlab/representation/metrics.h"
#include "robustlab/store/store.h"

namespace py = pybind11;
namespace rl = robustlab;

namespace {

/// While a long call runs without the GIL, Ctrl-C asks the library's loops to stop (they throw
/// Interrupted, raised in Python as KeyboardInterrupt); the previous handler comes back after.
class InterruptScope {
 public:
  InterruptScope() { previous_ = std::signal(SIGINT, [](int) { rl::request_interrupt(); }); }
  ~InterruptScope() { std::signal(SIGINT, previous_); }

 private:
  void (*previous_)(int) = nullptr;
};

/// A model for the library from a torch.jit.ScriptModule (its C++ module, shared, not copied).
std::shared_ptr<rl::TorchScriptClassifier> classifier_of(const py::object& script_module) {
  if (!py::hasattr(script_module, "_c")) {
    throw rl::InvalidArgument("robustlab: expected a torch.jit.ScriptModule");
  }
  torch::jit::Module module = py::cast<torch::jit::Module>(script_module.attr("_c"));
  return std::make_shared<rl::TorchScriptClassifier>(module, "python module");
}

/// A uint8 HxW or HxWx3 numpy image as a cv::Mat over the same memory.
cv::Mat image_of(const py::array& array) {
  if (!py::isinstance<py::array_t<uint8_t>>(array)) {
    throw rl::InvalidArgument("corrupt: the image must be a uint8 numpy array, got dtype " +
                              std::string(py::str(array.dtype())));
  }
  const auto a = py::array_t<uint8_t, py::array::c_style>::ensure(array);
  if (!a) throw rl::InvalidArgument("corrupt: the image must be a C-contiguous uint8 array");
  if (a.ndim() == 2 || (a.ndim() == 3 && a.shape(2) == 3)) {
    return cv::Mat(static_cast<int>(a.shape(0)), static_cast<int>(a.shape(1)), a.ndim() == 2 ? CV_8UC1 : CV_8UC3,
                   const_cast<uint8_t*>(a.data()));
  }
  std::string shape;
  for (py::ssize_t d = 0; d < a.ndim(); ++d) shape += (d ? "x" : "") + std::to_string(a.shape(d));
  throw rl::InvalidArgument("corrupt: the image must be HxW or HxWx3 (RGB), got " + shape);
}

py::array array_of(cv::Mat image) {
  auto* owner = new cv::Mat(std::move(image));
  py::capsule free_when_done(owner, [](void* p) { delete static_cast<cv::Mat*>(p); });
  return py::array_t<uint8_t>({owner->rows, owner->cols, owner->channels()},
                              {static_cast<py::ssize_t>(owner->step[0]), static_cast<py::ssize_t>(owner->channels()), py::ssize_t{1}},
                              owner->data, free_when_done);
}

/// A self-learner and the model it adapts (the learner holds a reference to it). Destroyed in
/// reverse order: the learner first, which restores the model's weights.
struct Learner {
  std::shared_ptr<rl::TorchScriptClassifier> model;
  std::unique_ptr<rl::adaptation::SelfLearner> learner;
};

/// The store of an existing database (reading never creates one).
rl::Store existing_store(const std::string& db) {
  if (!std::filesystem::exists(db)) throw rl::IoError("results: database '" + db + "' does not exist");
  return rl::Store(db);
}

py::dict run_dict(const rl::RunRecord& r) {
  return py::module_::import("json").attr("loads")(rl::run_to_json(r).dump());
}

}  // namespace

PYBIND11_MODULE(_robustlab, m) {
  m.doc() = "robustlab's C++ library (use the robustlab package, not this module)";

  // Errors: the library's messages, as the Python exceptions a user expects.
  static py::exception<rl::Error> base(m, "RobustlabError", PyExc_RuntimeError);
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const rl::Interrupted&) {
      PyErr_SetString(PyExc_KeyboardInterrupt, "interrupted");
    } catch (const rl::IoError& e) {
      const std::string message = e.what();
      PyErr_SetString(message.find("does not exist") != std::string::npos ? PyExc_FileNotFoundError : PyExc_OSError,
                      e.what());
    } catch (const rl::InvalidArgument& e) {
      PyErr_SetString(PyExc_ValueError, e.what());
    } catch (const rl::ShapeError& e) {
      PyErr_SetString(PyExc_ValueError, e.what());
    } catch (const rl::FormatError& e) {
      PyErr_SetString(PyExc_ValueError, e.what());
    } catch (const rl::NumericalError& e) {
      PyErr_SetString(PyExc_ArithmeticError, e.what());
    } catch (const rl::Error& e) {
      base(e.what());
    }
  });

  m.def("keep_freed_memory", &rl::keep_freed_memory);
  m.def("better_openblas_core", &rl::better_openblas_core);
  m.def("set_threads", &rl::set_threads, py::arg("n"));
  m.def("threads", &rl::threads);

  // Corruptions.
  m.def("corruption_names", [] {
    std::vector<py::tuple> out;
    for (const auto& c : rl::corruptions::all()) out.push_back(py::make_tuple(c.name, c.group, c.benchmark));
    return out;
  });
  m.def(
      "corrupt",
      [](const py::array& image, const std::string& name, int severity, uint64_t seed, const std::string& key) {
        const cv::Mat in = image_of(image);
        cv::Mat out;
        {
          py::gil_scoped_release release;
          rl::corruptions::Rng rng =
              rl::corruptions::corruption_rng(seed, rl::corruptions::image_stream_id(key), name, severity);
          out = rl::corruptions::corrupt(in, name, severity, rng);
        }
        return array_of(std::move(out));
      },
      py::arg("image"), py::arg("name"), py::arg("severity"), py::arg("seed"), py::arg("key"));

  // Attacks.
  m.def(
      "fmn",
      [](const py::object& model, const torch::Tensor& x, const torch::Tensor& y, const std::string& norm, int64_t steps,
         double alpha_init, double gamma_init, bool official, bool targeted, const std::optional<torch::Tensor>& targets) {
        auto classifier = classifier_of(model);
        rl::attacks::FmnOptions o;
        o.norm = rl::attacks::parse_norm(norm);
        o.steps = steps;
        o.alpha_init = alpha_init;
        o.gamma_init = gamma_init;
        o.official = official;
        o.targeted = targeted;
        py::gil_scoped_release release;
        InterruptScope interrupt;
        const rl::attacks::AttackResult r =
            rl::attacks::fmn(*classifier, x, y, o, targets.value_or(torch::Tensor()));
        return std::make_tuple(r.adversarial, r.success, r.norms);
      },
      py::arg("model"), py::arg("x"), py::arg("y"), py::arg("norm"), py::arg("steps"), py::arg("alpha_init"),
      py::arg("gamma_init"), py::arg("official"), py::arg("targeted"), py::arg("targets"));

  // Test-time adaptation.
  m.def(
      "bn_adapt",
      [](const py::object& model, const torch::Tensor& x, double prior) {
        auto classifier = classifier_of(model);
        py::gil_scoped_release release;
        return rl::adaptation::predict_bn_adapted(*classifier, x, {.prior = prior});
      },
      py::arg("model"), py::arg("x"), py::arg("prior"));
  py::class_<Learner>(m, "SelfLearner")
      .def(py::init([](const py::object& model, const std::string& method, const std::string& optimizer, double lr,
                       double q, int64_t steps_per_batch, bool episodic, const std::string& adapted) {
             rl::adaptation::SelfLearningOptions o;
             o.loss = rl::adaptation::parse_loss(method);
             o.optimizer = optimizer;
             o.lr = lr;
             o.q = q;
             o.steps_per_batch = steps_per_batch;
             o.episodic = episodic;
             o.adapted = rl::adaptation::parse_adapted(adapted);
             auto learner = std::make_unique<Learner>();
             learner->model = classifier_of(model);
             learner->learner = std::make_unique<rl::adaptation::SelfLearner>(*learner->model, o);
             return learner;
           }),
           py::arg("model"), py::arg("method"), py::arg("optimizer"), py::arg("lr"), py::arg("q"),
           py::arg("steps_per_batch"), py::arg("episodic"), py::arg("adapted"))
      .def(
          "step",
          [](Learner& l, const torch::Tensor& x) {
            py::gil_scoped_release release;
            return l.learner->step(x);
          },
          py::arg("x"))
      .def("reset", [](Learner& l) { l.learner->reset(); })
      .def_property_readonly("stopped", [](const Learner& l) { return l.learner->stopped(); });

  // Model-vs-human.
  m.def(
      "error_consistency",
      [](const std::vector<bool>& a, const std::vector<bool>& b) {
        const rl::human::Consistency c = rl::human::error_consistency(a, b);
        py::dict out;
        out["observed"] = c.observed;
        out["expected"] = c.expected;
        out["kappa"] = c.kappa;
        return out;
      },
      py::arg("first"), py::arg("second"));

  // Representation metrics.
  namespace rep = rl::representation;
  m.def("linear_r2", &rep::linear_r2, py::arg("z"), py::arg("h"));
  m.def(
      "mcc",
      [](const torch::Tensor& z, const torch::Tensor& h, const std::string& method, uint32_t seed) {
        if (method == "pearson") return rep::mcc_pearson(z, h).mcc;
        if (method == "spearman") return rep::mcc_spearman(z, h, seed).mcc;
        throw rl::InvalidArgument("mcc: method must be 'pearson' (cl-ica) or 'spearman' (disentanglement_lib), got '" +
                                  method + "'");
      },
      py::arg("z"), py::arg("h"), py::arg("method"), py::arg("seed"));
  m.def("mig", &rep::mig, py::arg("factors"), py::arg("codes"));
  m.def("modularity", &rep::modularity, py::arg("factors"), py::arg("codes"));
  m.def(
      "explicitness",
      [](const torch::Tensor& ftr, const torch::Tensor& ctr, const torch::Tensor& fte, const torch::Tensor& cte) {
        py::gil_scoped_release release;
        const rep::TrainTest t = rep::explicitness(ftr, ctr, fte, cte);
        return std::make_pair(t.train, t.test);
      });
  m.def("dci", [](const torch::Tensor& ftr, const torch::Tensor& ctr, const torch::Tensor& fte, const torch::Tensor& cte) {
    py::gil_scoped_release release;
    const rep::Dci d = rep::dci(ftr, ctr, fte, cte);
    return std::make_tuple(d.disentanglement, d.completeness, d.informativeness_train, d.informativeness_test);
  });
  m.def("sap", [](const torch::Tensor& ftr, const torch::Tensor& ctr, const torch::Tensor& fte, const torch::Tensor& cte) {
    py::gil_scoped_release release;
    return rep::sap(ftr, ctr, fte, cte);
  });

  // The results database.
  m.def("store_runs", [](const std::string& db) {
    const rl::Store store = existing_store(db);
    std::vector<py::dict> out;
    for (const auto& r : store.runs()) out.push_back(run_dict(r));
    return out;
  });
  m.def(
      "store_results",
      [](const std::string& db, std::optional<int64_t> run, std::optional<std::string> metric) {
        const rl::Store store = existing_store(db);
        return py::module_::import("json").attr("loads")(rl::results_to_json(store.results({.run_id = run, .metric = metric})).dump());
      },
      py::arg("db"), py::arg("run"), py::arg("metric"));
}
