// deepsolve::learned::DataParallel on however many ranks the test runs on (1 and 2 in ctest):
// broadcasts, gradient averaging, error agreement, and data-parallel training through fit()
// against the same training on one rank.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <string>

#include "deepsolve/learned/config.hpp"
#include "deepsolve/learned/optim/registry.hpp"
#include "deepsolve/learned/training/distributed.hpp"
#include "deepsolve/learned/training/trainer.hpp"
#include "tiny_model.hpp"

namespace dl = deepsolve::learned;
using learned_test::make_tiny;
using learned_test::Regression;
using learned_test::Tiny;

namespace {

// True when MPI is built in and running (the test main initialises it through PETSc; a build
// without PETSc runs these tests serially, without MPI).
bool mpi_running() {
#if DEEPSOLVE_LEARNED_WITH_MPI
  int initialized = 0, finalized = 0;
  MPI_Initialized(&initialized);
  MPI_Finalized(&finalized);
  return initialized && !finalized;
#else
  return false;
#endif
}

// One rank on its own: MPI_COMM_SELF when MPI runs, else the default (which is one rank then).
dl::DataParallel alone() {
#if DEEPSOLVE_LEARNED_WITH_MPI
  if (mpi_running()) return dl::DataParallel(MPI_COMM_SELF);
#endif
  return dl::DataParallel();
}

double parameter_sum(torch::nn::Module& m) {
  double s = 0.0;
  for (const auto& p : m.parameters()) s += p.to(torch::kFloat64).sum().item<double>();
  for (const auto& b : m.buffers()) s += b.to(torch::kFloat64).sum().item<double>();
  return s;
}

// ||a - b|| / ||a|| over all parameters.
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

}  // namespace

TEST(DataParallel, RankAndSize) {
  const dl::DataParallel dp;
#if DEEPSOLVE_LEARNED_WITH_MPI
  if (mpi_running()) {
    int rank = 0, size = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    EXPECT_EQ(dp.rank(), rank);
    EXPECT_EQ(dp.size(), size);
  }
#endif
  if (!mpi_running()) {
    EXPECT_EQ(dp.size(), 1);
  }
  const dl::DataParallel self = alone();
  EXPECT_EQ(self.size(), 1);
  EXPECT_FALSE(self.active());
  EXPECT_EQ(dp.shard(10).size(), dl::shard_of(10, dp.rank(), dp.size()).size());
  EXPECT_DOUBLE_EQ(dp.sum(1.5), 1.5 * dp.size());
  EXPECT_DOUBLE_EQ(dp.average(dp.rank()), (dp.size() - 1) / 2.0);
  EXPECT_EQ(dp.any(dp.rank() == dp.size() - 1), true);
  EXPECT_EQ(dp.any(false), false);
}

TEST(DataParallel, BroadcastsRankZerosParameters) {
  const dl::DataParallel dp;
  Tiny model = make_tiny(100 + dp.rank());  // different weights on every rank
  Tiny root = make_tiny(100);
  model->scale.fill_(1.0 + dp.rank());
  dp.broadcast_parameters(*model);
  EXPECT_EQ(parameter_sum(*model) - model->scale.item<double>() + 0.5, parameter_sum(*root));
  EXPECT_EQ(model->scale.item<double>(), 1.0);
  for (const auto& p : model->named_parameters())
    EXPECT_TRUE(torch::equal(p.value(), root->named_parameters()[p.key()])) << p.key();

  torch::Tensor t = torch::full({3, 2}, static_cast<float>(dp.rank()));
  dp.broadcast(t);
  EXPECT_TRUE(torch::equal(t, torch::zeros({3, 2})));
  EXPECT_EQ(dp.broadcast(dp.is_root() ? std::string("from root") : std::string("x")), "from root");
}

TEST(DataParallel, AveragesGradientsAndTheLoss) {
  const dl::DataParallel dp;
  Tiny model = make_tiny(1);
  for (auto& p : model->parameters()) p.mutable_grad() = torch::full_like(p, dp.rank() + 1.0);
  // On the last rank one gradient is missing: it counts as zero.
  if (dp.size() > 1 && dp.rank() == dp.size() - 1)
    model->out->bias.mutable_grad() = torch::Tensor();
  const double loss = dp.average_gradients(*model, 2.0 * dp.rank());
  EXPECT_DOUBLE_EQ(loss, dp.size() - 1.0);
  const double mean = (dp.size() + 1) / 2.0;
  EXPECT_TRUE(
      torch::allclose(model->conv->weight.grad(), torch::full_like(model->conv->weight, mean)));
  const double bias = dp.size() > 1 ? (mean * dp.size() - dp.size()) / dp.size() : 1.0;
  ASSERT_TRUE(model->out->bias.grad().defined());
  EXPECT_TRUE(torch::allclose(model->out->bias.grad(), torch::full_like(model->out->bias, bias)));
}

TEST(DataParallel, AgreesOnErrors) {
  const dl::DataParallel dp;
  EXPECT_EQ(dp.agree(""), "");
  const int bad = dp.size() - 1;  // the last rank fails
  const std::string mine = dp.rank() == bad ? "rank " + std::to_string(bad) + " failed" : "";
  EXPECT_EQ(dp.agree(mine), "rank " + std::to_string(bad) + " failed");
  try {
    dl::collectively(dp, [&] {
      if (dp.rank() == bad) throw std::runtime_error("broken file");
    });
    ADD_FAILURE() << "no CollectiveError";
  } catch (const dl::CollectiveError& e) {
    EXPECT_STREQ(e.what(), "broken file");
  }
}

// The data-parallel gradient of a batch split unevenly between the ranks is the gradient of the
// batch mean, and fit() on every rank gives the one-rank result up to round-off, also with an
// optimizer that evaluates each batch twice through fit()'s closure (SAM).
namespace {

void expect_training_matches_one_rank(const std::string& optimizer) {
  const dl::DataParallel dp;
  const Regression data(23, 5);
  const auto options = dl::TrainerOptions().batch_size(5).epochs(3).seed(2).print_progress(false);
  const dl::OptimizerSettings settings = {{"lr", "1e-2"}};

  Tiny together = make_tiny(1);
  auto together_optimizer = dl::make_optimizer(optimizer, together->parameters(), settings);
  const auto result = dl::fit(*together, *together_optimizer, data.task(together), options, dp);

  Tiny single = make_tiny(1);
  auto single_optimizer = dl::make_optimizer(optimizer, single->parameters(), settings);
  const auto reference = dl::fit(*single, *single_optimizer, data.task(single), options, alone());

  EXPECT_EQ(result.steps, reference.steps);
  const double diff = relative_difference(*single, *together);
  if (dp.size() == 1)
    EXPECT_EQ(diff, 0.0);
  else
    EXPECT_LT(diff, 1e-6) << "ranks " << dp.size();
  EXPECT_NEAR(result.train_loss, reference.train_loss, 1e-6 * reference.train_loss);
  EXPECT_NEAR(result.validation_loss, reference.validation_loss, 1e-6 * reference.validation_loss);
  // Every rank ends with the same parameters.
  const double s = parameter_sum(*together);
  EXPECT_EQ(dp.sum(s), s * dp.size());
}

}  // namespace

TEST(DataParallel, TrainingMatchesOneRank) {
  expect_training_matches_one_rank("adam");
}

TEST(DataParallel, SamTrainingMatchesOneRank) {
  expect_training_matches_one_rank("sam-adam");
}
