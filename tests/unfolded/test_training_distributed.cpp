// train_unfolded (training.hpp) on however many ranks the test runs on (1 and 2 in ctest): data
// parallelism gives the one-rank training up to round-off, also in incremental training; a
// resumed run on several ranks is the uninterrupted one.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <memory>
#include <string>

#include "../support/temp_dir.hpp"
#include "deepsolve/learned/config.hpp"
#include "deepsolve/learned/io/model_registry.hpp"
#include "deepsolve/learned/training/distributed.hpp"
#include "deepsolve/unfolded/model_types.hpp"
#include "deepsolve/unfolded/training.hpp"

namespace {

namespace du = deepsolve::unfolded;
namespace dl = deepsolve::learned;

std::shared_ptr<du::UnfoldedModule> build(const std::string& type) {
  du::register_unfolded_networks();
  const dl::ModelType& t = dl::ModelRegistry::instance().get(type);
  return std::dynamic_pointer_cast<du::UnfoldedModule>(t.build(dl::resolve_options(
      t, {{"measurements", "20"}, {"signal-size", "40"}, {"layers", "4"}, {"lambda", "0.05"}})));
}

du::SyntheticData data() {
  du::SyntheticSetup setup;
  setup.measurements = 20;
  setup.signal_size = 40;
  setup.snr_db = 20.0;
  setup.seed = 8;
  return du::SyntheticData(setup);
}

// One rank on its own: MPI_COMM_SELF when MPI runs, else the default (one rank then).
dl::DataParallel alone() {
#if DEEPSOLVE_LEARNED_WITH_MPI
  int initialized = 0, finalized = 0;
  MPI_Initialized(&initialized);
  MPI_Finalized(&finalized);
  if (initialized && !finalized) return dl::DataParallel(MPI_COMM_SELF);
#endif
  return dl::DataParallel();
}

// ||a - b|| / ||a|| over the parameters.
double relative_difference(torch::nn::Module& a, torch::nn::Module& b) {
  double d2 = 0.0, n2 = 0.0;
  auto pb = b.named_parameters();
  for (const auto& p : a.named_parameters()) {
    const auto x = p.value().to(torch::kFloat64), y = pb[p.key()].to(torch::kFloat64);
    d2 += (x - y).pow(2).sum().item<double>();
    n2 += x.pow(2).sum().item<double>();
  }
  return std::sqrt(d2 / n2);
}

// Batches of 7 over 3 ranks or 2 leave a last batch of 2 (100 = 14 x 7 + 2).
du::UnfoldedTrainingOptions options() {
  return du::UnfoldedTrainingOptions()
      .train_size(100)
      .validation_size(30)
      .batch_size(7)
      .epochs(3)
      .learning_rate(1e-2)
      .seed(4)
      .print_progress(false);
}

void expect_matches_one_rank(const std::string& type, const du::UnfoldedTrainingOptions& o) {
  const dl::DataParallel dp;
  const du::SyntheticData d = data();
  auto together = build(type);
  const auto result = du::train_unfolded(*together, d, o, dp);
  auto single = build(type);
  const auto reference = du::train_unfolded(*single, d, o, alone());
  EXPECT_EQ(result.steps, reference.steps);
  const double diff = relative_difference(*single, *together);
  if (dp.size() == 1)
    EXPECT_EQ(diff, 0.0) << type;
  else
    EXPECT_LT(diff, 1e-5) << type << ", ranks " << dp.size();
  EXPECT_NEAR(result.train_loss, reference.train_loss, 1e-5 * reference.train_loss) << type;
  EXPECT_NEAR(result.validation_loss, reference.validation_loss, 1e-5 * reference.validation_loss)
      << type;
  // Every rank holds the same parameters.
  double sum = 0.0;
  for (const auto& p : together->parameters()) sum += p.to(torch::kFloat64).sum().item<double>();
  EXPECT_EQ(dp.sum(sum), sum * dp.size());
}

}  // namespace

TEST(UnfoldedTrainingDistributed, MatchesOneRank) {
  expect_matches_one_rank("unfolded-ista", options());
  expect_matches_one_rank("lista", options().loss(du::TrainingLoss::unsupervised));
}

TEST(UnfoldedTrainingDistributed, IncrementalMatchesOneRank) {
  // Layers 3 and 4 get their first gradients in epochs 3 and 4: on several ranks as on one.
  expect_matches_one_rank("unfolded-ista",
                          options().incremental(true).epochs_per_layer(1).epochs(5));
}

TEST(UnfoldedTrainingDistributed, ResumeIsExact) {
  const dl::DataParallel dp;
  deepsolve_test::TempDir dir;
  const std::string path = dp.broadcast(dir.file("ckpt"));  // rank 0's folder, shared
  const du::SyntheticData d = data();
  const auto o = options().incremental(true).epochs_per_layer(1).epochs(4);
  auto whole = build("unfolded-ista");
  du::train_unfolded(*whole, d, o, dp);
  auto part = build("unfolded-ista");
  du::train_unfolded(*part, d, du::UnfoldedTrainingOptions(o).epochs(2).checkpoint(path), dp);
  auto rest = build("unfolded-ista");
  const auto resumed = du::train_unfolded(
      *rest, d, du::UnfoldedTrainingOptions(o).checkpoint(path).resume(true), dp);
  EXPECT_EQ(resumed.first_epoch, 2);
  EXPECT_EQ(relative_difference(*whole, *rest), 0.0) << "ranks " << dp.size();
  dp.barrier();  // every rank has read the checkpoint before rank 0's folder goes
}
