// Normalized gradient descent for logistic regression (Tyurin 2024, "From logistic regression to
// the perceptron algorithm: exploring gradient descent with large step sizes", arXiv 2412.08424):
//   x_{t+1} = x_t - (lr / f(x_t)) grad f(x_t),
// the step divided by the current loss. [verify] The rule is taken from the abstract and
// secondary notes, not checked against the paper's equations. On separable data the iterates
// behave like the batch perceptron; stop when every margin y_i <a_i, x> is positive
// (all_margins_positive), not on the loss value.
#pragma once

#include <utility>
#include <vector>

#include "deepsolve/learned/optim/optimizer_util.hpp"

namespace deepsolve::learned {

struct NormalizedGDOptions : public torch::optim::OptimizerCloneableOptions<NormalizedGDOptions> {
  NormalizedGDOptions(double lr = 1.0);  // NOLINT(google-explicit-constructor)
  /// gamma.
  TORCH_ARG(double, lr) = 1.0;

  DEEPSOLVE_OPTIMIZER_OPTIONS_METHODS(NormalizedGDOptions);
};

struct NormalizedGDParamState
    : public torch::optim::OptimizerCloneableParamState<NormalizedGDParamState> {
  TORCH_ARG(int64_t, step) = 0;

  DEEPSOLVE_OPTIMIZER_STATE_METHODS();
};

class NormalizedGD : public PatternOptimizer<NormalizedGDOptions, NormalizedGDParamState> {
 public:
  explicit NormalizedGD(std::vector<torch::optim::OptimizerParamGroup> groups,
                        NormalizedGDOptions defaults = {});
  explicit NormalizedGD(std::vector<at::Tensor> params, NormalizedGDOptions defaults = {})
      : NormalizedGD({torch::optim::OptimizerParamGroup(std::move(params))}, defaults) {}

  /// The closure must zero the gradients, compute f(x) (> 0), backward, and return f(x).
  at::Tensor step(LossClosure closure = nullptr) override;

 private:
};

/// Throws std::invalid_argument for a negative or non-finite lr.
void validate(const NormalizedGDOptions& options);

/// f(x) = (1/n) sum_i log(1 + exp(-y_i <a_i, x>)) for features (n, d), labels (n,) in {-1, +1}
/// and x (d,). Differentiable in x.
at::Tensor logistic_regression_loss(const at::Tensor& features, const at::Tensor& labels,
                                    const at::Tensor& x);

/// Whether y_i <a_i, x> > 0 for every i (the data are separated by x).
bool all_margins_positive(const at::Tensor& features, const at::Tensor& labels,
                          const at::Tensor& x);

}  // namespace deepsolve::learned
