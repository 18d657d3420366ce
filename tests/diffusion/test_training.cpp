// Denoising score matching through the shared trainer (training.hpp), the EDM preconditioning
// (parameterization.hpp) and denoiser files (denoiser_file.hpp).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "deepsolve/diffusion/denoiser_file.hpp"
#include "deepsolve/diffusion/gaussian_mixture.hpp"
#include "deepsolve/diffusion/model_types.hpp"
#include "deepsolve/diffusion/noise_levels.hpp"
#include "deepsolve/diffusion/training.hpp"
#include "deepsolve/learned/io/model_registry.hpp"

namespace ds = deepsolve::diffusion;
namespace fs = std::filesystem;

namespace {

std::shared_ptr<ds::DenoiserNetwork> mlp(std::int64_t classes, std::int64_t hidden = 64) {
  ds::register_diffusion_networks();
  const auto& type = deepsolve::learned::ModelRegistry::instance().get("mlp-denoiser");
  torch::manual_seed(3);
  auto module =
      type.build(deepsolve::learned::resolve_options(type, {{"dimension", "2"},
                                                            {"hidden", std::to_string(hidden)},
                                                            {"layers", "2"},
                                                            {"classes", std::to_string(classes)}}));
  return std::dynamic_pointer_cast<ds::DenoiserNetwork>(module);
}

fs::path scratch(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / ("deepsolve_diffusion_training_" + name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

ds::DenoiserTrainingOptions quick_options(std::int64_t epochs) {
  ds::DenoiserTrainingOptions o;
  o.learning_rate(3e-3);
  o.trainer().epochs(epochs).batch_size(256).seed(11).print_progress(false);
  return o;
}

bool same_parameters(torch::nn::Module& a, torch::nn::Module& b) {
  const auto pa = a.named_parameters(), pb = b.named_parameters();
  if (pa.size() != pb.size()) return false;
  for (const auto& p : pa)
    if (!torch::equal(p.value(), pb[p.key()])) return false;
  return true;
}

}  // namespace

TEST(Preconditioning, MatchesEdmTableAtOnePoint) {
  // EDM Table 1 at sigma = 0.5, sigma_data = 0.5.
  const auto c =
      ds::preconditioning(ds::Prediction::edm, torch::tensor({0.5}, torch::kDouble), 0.5);
  EXPECT_NEAR(c.c_skip.item<double>(), 0.5, 1e-15);
  EXPECT_NEAR(c.c_out.item<double>(), 0.25 / std::sqrt(0.5), 1e-15);
  EXPECT_NEAR(c.c_in.item<double>(), 1.0 / std::sqrt(0.5), 1e-15);
  EXPECT_NEAR(c.c_noise.item<double>(), std::log(0.5) / 4.0, 1e-15);
}

TEST(Preconditioning, TargetsAreTheNamedQuantities) {
  // x = x0 + sigma n: the training target (x0 - c_skip x) / c_out is n for eps, x0 for x0, and
  // alpha n - sigma_vp x0 (Salimans & Ho's v, alpha = 1/sqrt(1+sigma^2)) for v with sigma_data 1.
  const auto x0 = torch::tensor({0.3, -1.2}, torch::kDouble);
  const auto n = torch::tensor({-0.7, 0.4}, torch::kDouble);
  const double sigma = 1.7;
  const auto x = x0 + sigma * n;
  const auto s = torch::tensor({sigma}, torch::kDouble);
  const auto target = [&](ds::Prediction p) {
    const auto c = ds::preconditioning(p, s, 1.0);
    return (x0 - c.c_skip * x) / c.c_out;
  };
  EXPECT_TRUE(torch::allclose(target(ds::Prediction::eps), n, 0, 1e-14));
  EXPECT_TRUE(torch::allclose(target(ds::Prediction::x0), x0, 0, 1e-14));
  const double alpha = 1.0 / std::sqrt(1.0 + sigma * sigma);
  EXPECT_TRUE(torch::allclose(target(ds::Prediction::v), alpha * n - sigma * alpha * x0, 0, 1e-14));
  EXPECT_THROW(ds::parse_prediction("score"), std::invalid_argument);
  EXPECT_THROW(ds::preconditioning(ds::Prediction::edm, s, 0.0), std::invalid_argument);
}

TEST(NoiseLevels, DistributionsAndErrors) {
  auto g = at::make_generator<at::CPUGeneratorImpl>(5);
  const auto s = ds::draw_noise_levels(ds::NoiseLevelOptions(), 20000, g).to(torch::kDouble);
  EXPECT_NEAR(s.log().mean().item<double>(), -1.2, 0.03);
  EXPECT_NEAR(s.log().std().item<double>(), 1.2, 0.03);
  for (const auto& name : ds::noise_level_distributions()) {
    const auto d = ds::draw_noise_levels(ds::NoiseLevelOptions().distribution(name), 1000, g);
    EXPECT_TRUE((d > 0).all().item<bool>()) << name;
  }
  const auto q = ds::draw_noise_levels(
      ds::NoiseLevelOptions().distribution("quadratic").sigma_max(1.0), 20000, g);
  EXPECT_NEAR(q.to(torch::kDouble).mean().item<double>(), 1.0 / 3.0, 0.01);  // E[U^2]
  EXPECT_THROW(ds::draw_noise_levels(ds::NoiseLevelOptions().distribution("uniform"), 3, g),
               std::invalid_argument);
  EXPECT_THROW(ds::draw_noise_levels(ds::NoiseLevelOptions().sigma_max(0.001), 3, g),
               std::invalid_argument);
}

TEST(Training, LearnsTheAnalyticScoreOfAMixture) {
  // A conditional MLP on mixture8, a few hundred steps: its score error against the exact noised
  // score is far below that of the untrained network, for the conditional and the unconditional
  // (null label) branch, at a mid noise level.
  const auto truth = ds::GaussianMixture::mixture8();
  const auto train = truth.sample(4096, 1, {}, torch::kFloat);
  ds::Denoiser denoiser(mlp(8), ds::Prediction::edm, 1.0);
  const double sigma = 0.5;
  const auto probe = truth.noised(sigma).sample(2000, 99);
  const auto error = [&](bool conditional) {
    torch::NoGradGuard no_grad;
    return ds::score_error(denoiser, truth, probe.x.to(torch::kFloat), sigma,
                           conditional ? probe.labels : torch::full({2000}, 8, torch::kLong));
  };
  const double before_c = error(true), before_u = error(false);
  auto o = quick_options(40);
  o.noise_levels().mean(-0.5).std(1.0);
  o.label_dropout(0.2);
  ds::train_denoiser(denoiser, {train.x, train.labels}, {}, o);
  const double after_c = error(true), after_u = error(false);
  EXPECT_LT(after_c, 0.25) << "before " << before_c;
  EXPECT_LT(after_u, 0.3);
  EXPECT_LT(after_c, 0.3 * before_c);
  EXPECT_LT(after_u, 0.3 * before_u);
}

TEST(Training, ResumeIsExactWithWeightAverage) {
  const auto dir = scratch("resume");
  const auto truth = ds::GaussianMixture::mixture8();
  const auto train = truth.sample(512, 2, {}, torch::kFloat);
  const auto validation = truth.sample(128, 3, {}, torch::kFloat);
  auto o = quick_options(4);
  o.ema_decay(0.9).label_dropout(0.3);
  o.trainer().batch_size(64);

  ds::Denoiser whole(mlp(8, 32), ds::Prediction::edm);
  const auto r_whole =
      ds::train_denoiser(whole, {train.x, train.labels}, {validation.x, validation.labels}, o);

  ds::Denoiser part(mlp(8, 32), ds::Prediction::edm);
  auto first = o;
  first.trainer().epochs(2).checkpoint((dir / "c.ckpt").string());
  ds::train_denoiser(part, {train.x, train.labels}, {validation.x, validation.labels}, first);
  ds::Denoiser resumed(mlp(8, 32), ds::Prediction::edm);
  auto second = o;
  second.trainer().checkpoint((dir / "c.ckpt").string()).resume(true);
  const auto r_resumed = ds::train_denoiser(resumed, {train.x, train.labels},
                                            {validation.x, validation.labels}, second);
  EXPECT_TRUE(r_whole.averaged && r_resumed.averaged);
  EXPECT_TRUE(same_parameters(whole.network(), resumed.network()));
  EXPECT_EQ(r_whole.validation_loss, r_resumed.validation_loss);
  EXPECT_EQ(r_resumed.train.first_epoch, 2);

  // Other settings: refused, naming them.
  ds::Denoiser other(mlp(8, 32), ds::Prediction::edm);
  auto changed = second;
  changed.label_dropout(0.1);
  try {
    ds::train_denoiser(other, {train.x, train.labels}, {validation.x, validation.labels}, changed);
    ADD_FAILURE() << "a checkpoint of other settings was accepted";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("label_dropout"), std::string::npos) << e.what();
  }
  fs::remove_all(dir);
}

TEST(Training, EarlyStoppingOnTheHeldOutLoss) {
  // 64 training points, many epochs: the held-out loss stops improving and training stops.
  const auto truth = ds::GaussianMixture::mixture8();
  const auto train = truth.sample(64, 4, {}, torch::kFloat);
  const auto validation = truth.sample(256, 5, {}, torch::kFloat);
  ds::Denoiser denoiser(mlp(0, 128), ds::Prediction::edm);
  auto o = quick_options(400);
  o.learning_rate(1e-2).repeats(4);
  o.trainer().batch_size(128).patience(5);
  const auto r = ds::train_denoiser(denoiser, {train.x, {}}, {validation.x, {}}, o);
  ASSERT_TRUE(r.train.stopped_early);
  // The held-out loss fell for a while (the best epoch is not the first), then did not improve
  // for `patience` epochs.
  const auto& log = r.train.log;
  std::vector<double> column;
  for (std::size_t e = 0; e < log.rows().size(); ++e)
    column.push_back(log.at(e, "validation_loss"));
  std::size_t best = 0;
  for (std::size_t e = 1; e < column.size(); ++e)
    if (column[e] < column[best]) best = e;
  EXPECT_GT(best, 3u);
  EXPECT_EQ(static_cast<std::int64_t>(best + 1 + 5), r.train.stopped_epoch);
  EXPECT_LT(column[best], 0.95 * column[0]);
}

TEST(Training, BadDataIsRefused) {
  ds::Denoiser conditional(mlp(8, 16), ds::Prediction::edm);
  const auto x = torch::randn({10, 2});
  const auto o = quick_options(1);
  EXPECT_THROW(ds::train_denoiser(conditional, {x, {}}, {}, o), std::invalid_argument);
  EXPECT_THROW(ds::train_denoiser(conditional, {x, torch::full({10}, 8, torch::kLong)}, {}, o),
               std::invalid_argument);
  EXPECT_THROW(ds::train_denoiser(conditional,
                                  {torch::randn({10, 3}), torch::zeros({10}, torch::kLong)}, {}, o),
               std::invalid_argument);
  auto bad = o;
  bad.label_dropout(1.5);
  EXPECT_THROW(ds::train_denoiser(conditional, {x, torch::zeros({10}, torch::kLong)}, {}, bad),
               std::invalid_argument);
}

TEST(DenoiserFile, RoundTripAndErrors) {
  const auto dir = scratch("file");
  ds::Denoiser denoiser(mlp(8, 16), ds::Prediction::v, 0.7);
  const auto path = (dir / "m.dsm").string();
  ds::save_denoiser(path, denoiser, {{"data", "mixture8"}});
  const auto loaded = ds::load_denoiser(path);
  EXPECT_EQ(loaded.denoiser.prediction(), ds::Prediction::v);
  EXPECT_EQ(loaded.denoiser.sigma_data(), 0.7);
  EXPECT_EQ(loaded.metadata.at("data"), "mixture8");
  const auto x = torch::randn({5, 2});
  const auto labels = torch::tensor({0, 1, 2, 8, 3}, torch::kLong);
  torch::NoGradGuard no_grad;
  denoiser.network().eval();
  EXPECT_TRUE(torch::equal(denoiser(x, 0.3, labels), loaded.denoiser(x, 0.3, labels)));
  EXPECT_THROW(ds::save_denoiser(path, denoiser, {{"diffusion.prediction", "x0"}}),
               std::invalid_argument);
  {  // flip a byte in the middle: the checksum catches it
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(0, std::ios::end);
    const auto size = static_cast<std::streamoff>(f.tellg());
    f.seekp(size / 2);
    char c = 0;
    f.seekg(size / 2);
    f.get(c);
    f.seekp(size / 2);
    f.put(static_cast<char>(c ^ 0x5a));
  }
  try {
    ds::load_denoiser(path);
    ADD_FAILURE() << "a corrupt file loaded";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
  }
  fs::remove_all(dir);
}
