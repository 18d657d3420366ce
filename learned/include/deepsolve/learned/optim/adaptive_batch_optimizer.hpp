// The part that AdaGrad and AdaGrad-Norm (adagrad.hpp, adagrad_norm.hpp) share: an optimizer of
// LibTorch's pattern that owns AdAdaGrad's batch-size schedule (Lau, Liu & Kolar 2024, arXiv
// 2402.11215; adaptive_batch.hpp) and saves it with its state under "deepsolve/adaptive_batch".
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "deepsolve/learned/optim/adaptive_batch.hpp"
#include "deepsolve/learned/optim/optimizer_util.hpp"

namespace deepsolve::learned {

template <class Options, class ParamState>
class AdaptiveBatchOptimizer : public PatternOptimizer<Options, ParamState> {
 public:
  AdaptiveBatchSize& adaptive_batch() { return batch_; }
  const AdaptiveBatchSize& adaptive_batch() const { return batch_; }
  /// Runs the configured test on (b, d) per-sample gradients; returns the next batch size.
  std::int64_t adapt_batch(const at::Tensor& per_sample) { return batch_.update(per_sample); }
  std::int64_t recommended_batch_size() const { return batch_.batch_size(); }

  void save(torch::serialize::OutputArchive& archive) const override {
    PatternOptimizer<Options, ParamState>::save(archive);
    save_batch(archive);
  }
  void load(torch::serialize::InputArchive& archive) override {
    PatternOptimizer<Options, ParamState>::load(archive);
    load_batch(archive);
  }

 protected:
  AdaptiveBatchOptimizer(std::vector<torch::optim::OptimizerParamGroup> groups,
                         const Options& defaults, const AdaptiveBatchOptions& batch)
      : PatternOptimizer<Options, ParamState>(std::move(groups), defaults), batch_(batch) {}

  void save_batch(torch::serialize::OutputArchive& archive) const {
    torch::serialize::OutputArchive batch(archive.compilation_unit());
    batch_.save(batch);
    archive.write("deepsolve/adaptive_batch", batch);
  }
  void load_batch(torch::serialize::InputArchive& archive) {
    torch::serialize::InputArchive batch;
    archive.read("deepsolve/adaptive_batch", batch);
    batch_.load(batch);
  }

  AdaptiveBatchSize batch_;
};

}  // namespace deepsolve::learned
