// Must NOT compile: xtensor has no gradients. CTest compiles this file and expects the error
// message of robustlab/tensor/grad.h (test Tensor.NoGradientsOnXtensor).
#include "robustlab/tensor/grad.h"
#include "robustlab/tensor/xtensor_backend.h"

int main() {
  using robustlab::tensor::Tensor;
  using robustlab::tensor::XtBackend;
  const Tensor<XtBackend> x(xt::xarray<float>{1.0f, 2.0f});
  auto result = robustlab::tensor::value_and_grad<XtBackend>([](const Tensor<XtBackend>& v) { return v.sum(); }, x);
  (void)result;
}
