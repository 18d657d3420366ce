#include "training.hpp"

#include <torch/torch.h>

#include <chrono>
#include <cmath>

#include "deepsolve/learned/training/shuffle.hpp"

namespace imbalanced {

double evaluated_loss(Mlp& net, const deepsolve::learned::ClassificationLoss& loss,
                      const Dataset& data, std::int64_t batch) {
  torch::NoGradGuard no_grad;
  net->eval();
  const std::int64_t n = data.x.size(0);
  double sum = 0;
  for (std::int64_t begin = 0; begin < n; begin += batch) {
    const std::int64_t size = std::min(batch, n - begin);
    const at::Tensor value =
        loss(net->forward(data.x.narrow(0, begin, size)), data.y.narrow(0, begin, size));
    sum += value.item<double>() * static_cast<double>(size);
  }
  net->train();
  return sum / static_cast<double>(n);
}

Curve train(Mlp& net, torch::optim::Optimizer& optimizer,
            const deepsolve::learned::ClassificationLoss& loss, const Problem& p,
            const TrainSpec& spec) {
  const auto start = std::chrono::steady_clock::now();
  Curve curve;
  curve.train_loss.push_back(evaluated_loss(net, loss, p.train, spec.batch));
  curve.test_loss.push_back(evaluated_loss(net, loss, p.test, spec.batch));
  const std::int64_t n = p.train.x.size(0);
  net->train();
  for (std::int64_t epoch = 1; epoch <= spec.epochs && !curve.diverged; ++epoch) {
    const std::vector<std::int64_t> order =
        deepsolve::learned::seeded_permutation(n, spec.seed, static_cast<std::uint64_t>(epoch));
    const at::Tensor indices = torch::tensor(order, torch::kLong);
    for (std::int64_t begin = 0; begin < n; begin += spec.batch) {
      const at::Tensor batch = indices.narrow(0, begin, std::min(spec.batch, n - begin));
      // Through a closure, so that SAM (two evaluations per step) and normalized GD work too.
      struct NonFiniteBatch {};
      const auto closure = [&]() -> at::Tensor {
        optimizer.zero_grad();
        const at::Tensor value =
            loss(net->forward(p.train.x.index_select(0, batch)), p.train.y.index_select(0, batch));
        if (!std::isfinite(value.item<double>())) throw NonFiniteBatch{};
        value.backward();
        return value;
      };
      try {
        optimizer.step(closure);
      } catch (const NonFiniteBatch&) {
        curve.diverged = true;
        break;
      }
      ++curve.steps;
    }
    if (curve.diverged) break;
    curve.train_loss.push_back(evaluated_loss(net, loss, p.train, spec.batch));
    curve.test_loss.push_back(evaluated_loss(net, loss, p.test, spec.batch));
    // Finite batch losses can still end in parameters that overflow.
    if (!std::isfinite(curve.train_loss.back())) curve.diverged = true;
  }
  curve.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return curve;
}

at::Tensor predict(Mlp& net, const Dataset& data) {
  torch::NoGradGuard no_grad;
  net->eval();
  at::Tensor logits = net->forward(data.x);
  net->train();
  return logits;
}

}  // namespace imbalanced
