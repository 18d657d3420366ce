// The unfolded network types (unfolded-ista, unfolded-iht, lista, lista-cpss, alista): at
// initialisation each equals the classical iteration it unfolds (written out here with
// penalty.hpp's shrink), ALISTA's analytic weight solves its coherence problem, gradients reach
// the learned values, model files round-trip through the registry, and bad options, matrices
// and measurements are refused with messages that name them.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <limits>

#include <memory>
#include <string>
#include <vector>

#include "../support/expect_error.hpp"
#include "../support/temp_dir.hpp"
#include "deepsolve/learned/io/model_registry.hpp"
#include "deepsolve/unfolded/alista.hpp"
#include "deepsolve/unfolded/lipschitz.hpp"
#include "deepsolve/unfolded/lista.hpp"
#include "deepsolve/unfolded/lista_cpss.hpp"
#include "deepsolve/unfolded/model_types.hpp"
#include "deepsolve/unfolded/network.hpp"
#include "deepsolve/unfolded/penalty.hpp"
#include "deepsolve/unfolded/support_selection.hpp"
#include "deepsolve/unfolded/unfolded_steps.hpp"

namespace du = deepsolve::unfolded;
namespace dl = deepsolve::learned;
using deepsolve_test::expect_error;

namespace {

const std::vector<std::string> kTypes = {"unfolded-ista", "unfolded-iht", "lista", "lista-cpss",
                                         "alista"};

struct Problem {
  torch::Tensor A;  ///< [m, n], unit-norm columns, float64
  torch::Tensor x;  ///< [B, n], about 15% nonzero
  torch::Tensor y;  ///< [B, m]
};

Problem make_problem(std::int64_t m, std::int64_t n, std::int64_t batch, int seed) {
  torch::manual_seed(seed);
  Problem p;
  p.A = torch::randn({m, n}, torch::kFloat64);
  p.A = p.A / p.A.norm(2, {0}, /*keepdim=*/true);
  p.x = torch::randn({batch, n}, torch::kFloat64) *
        (torch::rand({batch, n}, torch::kFloat64) < 0.15).to(torch::kFloat64);
  p.y = torch::matmul(p.x, p.A.t()) + 0.01 * torch::randn({batch, m}, torch::kFloat64);
  return p;
}

// T iterations of ISTA (l1) or IHT (l0) with step 1/L from x_0 = 0, in float64.
std::vector<torch::Tensor> classical_iterations(du::Penalty penalty, double lambda,
                                                const Problem& p, std::int64_t T) {
  const double L = du::lipschitz_constant(p.A);
  const double threshold = du::prox_threshold(penalty, lambda, 1.0 / L);
  torch::Tensor x = torch::zeros({p.y.size(0), p.A.size(1)}, torch::kFloat64);
  std::vector<torch::Tensor> out;
  for (std::int64_t t = 0; t < T; ++t) {
    const torch::Tensor r = p.y - du::apply_matrix(p.A, x);
    x = du::shrink(penalty, x + du::apply_adjoint(p.A, r) / L, threshold);
    out.push_back(x);
  }
  return out;
}

std::shared_ptr<du::UnfoldedModule> build(const std::string& name, const dl::ModelOptions& given) {
  du::register_unfolded_networks();
  const dl::ModelType& type = dl::ModelRegistry::instance().get(name);
  auto module =
      std::dynamic_pointer_cast<du::UnfoldedModule>(type.build(dl::resolve_options(type, given)));
  if (!module) throw std::logic_error(name + " is not an UnfoldedModule");
  return module;
}

dl::ModelOptions small_options(std::int64_t m, std::int64_t n, std::int64_t T) {
  return {{"measurements", std::to_string(m)},
          {"signal-size", std::to_string(n)},
          {"layers", std::to_string(T)}};
}

double max_difference(const torch::Tensor& a, const torch::Tensor& b) {
  return (a.to(torch::kFloat64) - b.to(torch::kFloat64)).abs().max().item<double>();
}

// Every layer of `net` (run in float32) against the classical iterations.
void expect_classical(du::UnfoldedModule& net, du::Penalty penalty, const Problem& p) {
  const auto reference = classical_iterations(penalty, net.lambda(), p, net.layers());
  const auto layers = net.forward_layers(p.y, p.A);
  ASSERT_EQ(layers.size(), reference.size());
  for (std::size_t t = 0; t < layers.size(); ++t) {
    EXPECT_EQ(layers[t].scalar_type(), torch::kFloat32);
    const double scale = reference[t].abs().max().item<double>();
    EXPECT_LT(max_difference(layers[t], reference[t]), 2e-6 * (1.0 + scale)) << "layer " << t + 1;
  }
  // Not a vacuous agreement: the last iterate is sparse but not zero.
  const std::int64_t nonzero = (reference.back() != 0).sum().item<std::int64_t>();
  EXPECT_GT(nonzero, 0);
  EXPECT_LT(nonzero, reference.back().numel());
}

}  // namespace

TEST(UnfoldedNetworks, UnfoldedIstaAndIhtStartAsIstaAndIht) {
  const Problem p = make_problem(30, 60, 8, 1);
  for (const auto& [name, penalty] :
       {std::pair{"unfolded-ista", du::Penalty::l1}, std::pair{"unfolded-iht", du::Penalty::l0}}) {
    for (const char* learn : {"0", "1"}) {
      SCOPED_TRACE(std::string(name) + " learn-thresholds=" + learn);
      dl::ModelOptions o = small_options(30, 60, 12);
      o["lambda"] = "0.05";
      o["learn-thresholds"] = learn;
      auto net = build(name, o);
      EXPECT_EQ(net->penalty(), penalty);
      EXPECT_FALSE(net->fixed_matrix());
      EXPECT_FALSE(net->matrix().defined());
      net->initialise(p.A);
      auto& steps = dynamic_cast<du::UnfoldedSteps&>(*net);
      const double L = du::lipschitz_constant(p.A);
      EXPECT_NEAR(steps.step_sizes()[0].item<double>() * L, 1.0, 1e-6);
      EXPECT_NEAR(steps.thresholds()[5].item<double>(), du::prox_threshold(penalty, 0.05, 1.0 / L),
                  1e-6);
      expect_classical(*net, penalty, p);
    }
  }
}

TEST(UnfoldedNetworks, ListaAndListaCpssWithoutSupportSelectionStartAsIsta) {
  const Problem p = make_problem(25, 50, 6, 2);
  auto lista = build("lista", small_options(25, 50, 10));
  lista->initialise(p.A);
  EXPECT_TRUE(lista->fixed_matrix());
  EXPECT_LT(max_difference(lista->matrix(), p.A), 1e-7);
  expect_classical(*lista, du::Penalty::l1, p);

  dl::ModelOptions o = small_options(25, 50, 10);
  o["support-step"] = "0";
  auto cpss = build("lista-cpss", o);
  cpss->initialise(p.A);
  expect_classical(*cpss, du::Penalty::l1, p);
  // With support selection, the selected entries skip the shrinkage: the iterates differ.
  auto selecting = build("lista-cpss", small_options(25, 50, 10));
  selecting->initialise(p.A);
  EXPECT_GT(max_difference(selecting->forward(p.y), cpss->forward(p.y)), 1e-3);
}

TEST(UnfoldedNetworks, SupportSelectionPassesTheLargestEntriesAboveTheThreshold) {
  const torch::Tensor v = torch::tensor({{3.0, -2.0, 0.5, 0.1}, {0.2, 0.4, -0.25, 0.1}});
  const torch::Tensor theta = torch::tensor(0.3);
  // Two per row may pass, but only above theta: row 2's 0.4 passes, 0.25 is shrunk to 0.
  const torch::Tensor two = du::shrink_with_support_selection(v, theta, 2);
  EXPECT_TRUE(torch::allclose(two, torch::tensor({{3.0, -2.0, 0.2, 0.0}, {0.0, 0.4, 0.0, 0.0}})));
  const torch::Tensor one = du::shrink_with_support_selection(v, theta, 1);
  EXPECT_TRUE(torch::allclose(one, torch::tensor({{3.0, -1.7, 0.2, 0.0}, {0.0, 0.4, 0.0, 0.0}})));
  EXPECT_TRUE(torch::equal(du::shrink_with_support_selection(v, theta, 0),
                           du::shrink(du::Penalty::l1, v, theta)));

  const du::SupportSelection s;  // 1.2 % per layer up to 13 %
  EXPECT_DOUBLE_EQ(s.percent(3), 3.6);
  EXPECT_DOUBLE_EQ(s.percent(16), 13.0);
  EXPECT_EQ(s.count(1, 500), 6);
  EXPECT_EQ(s.count(5, 500), 30);
  EXPECT_EQ(s.count(16, 500), 65);
  EXPECT_EQ(s.count(1, 80), 0);
}

// The shrinkage has three paths (a fused kernel when nothing is differentiated, the tensor
// expression with the row-wise selection kernel when v carries gradients, topk elsewhere): all
// give what the definition gives, computed here with a sorted topk.
TEST(UnfoldedNetworks, SupportSelectionPathsAgreeWithTheDefinition) {
  torch::manual_seed(5);
  for (const auto dtype : {torch::kFloat32, torch::kFloat64}) {
    const torch::Tensor v = torch::randn({37, 50}, dtype);
    const torch::Tensor theta = torch::tensor(0.4, dtype);
    for (const std::int64_t count : {1, 7, 50}) {
      const torch::Tensor magnitude = v.abs();
      const torch::Tensor kth = std::get<0>(magnitude.topk(count, 1)).narrow(1, count - 1, 1);
      const torch::Tensor expected = torch::where((magnitude >= kth) & (magnitude > theta), v,
                                                  du::shrink(du::Penalty::l1, v, theta));
      EXPECT_TRUE(torch::equal(du::shrink_with_support_selection(v, theta, count), expected))
          << count;
      const torch::Tensor leaf = v.clone().requires_grad_(true);
      const torch::Tensor differentiable = du::shrink_with_support_selection(leaf, theta, count);
      EXPECT_TRUE(differentiable.requires_grad());
      EXPECT_TRUE(torch::equal(differentiable.detach(), expected)) << count;
      // d out / d v is 1 where an entry passes or lies beyond theta, 0 where it is zeroed.
      differentiable.sum().backward();
      EXPECT_TRUE(torch::equal(leaf.grad(), (expected != 0).to(dtype))) << count;
      // Not contiguous (a transposed view): the same values.
      const torch::Tensor strided = v.t().contiguous().t();
      EXPECT_TRUE(torch::equal(du::shrink_with_support_selection(strided, theta, count), expected));
    }
    // A negative threshold (a learned theta can cross 0) as torch::clamp treats it.
    const torch::Tensor negative = torch::tensor(-0.2, dtype);
    const torch::Tensor magnitude = v.abs();
    const torch::Tensor kth = std::get<0>(magnitude.topk(7, 1)).narrow(1, 6, 1);
    EXPECT_TRUE(torch::equal(du::shrink_with_support_selection(v, negative, 7),
                             torch::where((magnitude >= kth) & (magnitude > negative), v,
                                          du::shrink(du::Penalty::l1, v, negative))));
    // A NaN stays in its row's result and leaves the other rows alone.
    torch::Tensor poisoned = v.clone();
    poisoned[3][7] = std::numeric_limits<double>::quiet_NaN();
    const torch::Tensor out = du::shrink_with_support_selection(poisoned, theta, 5);
    EXPECT_TRUE(std::isnan(out[3][7].item<double>()));
    EXPECT_TRUE(torch::equal(out.narrow(0, 4, 33),
                             du::shrink_with_support_selection(v.narrow(0, 4, 33), theta, 5)));
  }
}

TEST(UnfoldedNetworks, AlistaWeightSolvesTheCoherenceProblem) {
  const Problem p = make_problem(20, 40, 4, 3);
  const torch::Tensor W = du::analytic_weight(p.A);
  const torch::Tensor gram = torch::matmul(W.t(), p.A);
  EXPECT_LT(max_difference(gram.diagonal(), torch::ones({40}, torch::kFloat64)), 1e-10);
  auto off_diagonal = [](const torch::Tensor& M) {
    return (M - torch::diag(M.diagonal())).pow(2).sum().item<double>();
  };
  // The matched filter with the same unit diagonal, A's columns over their squared norms.
  const torch::Tensor matched = p.A / p.A.pow(2).sum(0, true);
  const double ours = off_diagonal(gram), baseline = off_diagonal(matched.t().matmul(p.A));
  EXPECT_LT(ours, 0.8 * baseline) << ours << " vs " << baseline;

  // ALISTA's own solver (projected gradient from W = A, their Appendix E.1) reaches this W.
  torch::Tensor pg = p.A.clone();
  const double step = 1.0 / du::lipschitz_constant(p.A);
  for (int it = 0; it < 20000; ++it) {
    pg = pg - step * p.A.matmul(p.A.t().matmul(pg) - torch::eye(40, torch::kFloat64));
    pg = pg + (1.0 - (p.A * pg).sum(0, true)) * p.A;  // unit columns: exact projection
  }
  EXPECT_LT(max_difference(pg, W), 1e-6 * W.abs().max().item<double>());

  auto net = build("alista", small_options(20, 40, 8));
  net->initialise(p.A);
  const auto& alista = dynamic_cast<const du::Alista&>(*net);
  EXPECT_LT(max_difference(alista.weight(), W), 1e-6);
  EXPECT_LT(max_difference(net->matrix(), p.A), 1e-7);
  // Layer 1 at initialisation: gamma = 1, theta = lambda / L (lambda = 0.4 by default), support
  // selection of 1.2% of 40 entries = none, so x_1 is the soft threshold of W^T y.
  const double L = du::lipschitz_constant(p.A);
  const torch::Tensor x1 = du::shrink(du::Penalty::l1, torch::matmul(p.y, W), net->lambda() / L);
  EXPECT_LT(max_difference(net->forward_layers(p.y, {}, 1)[0], x1), 1e-5);

  expect_error<std::invalid_argument>(
      [&] {
        torch::Tensor A = p.A.clone();
        A.select(1, 3).zero_();
        du::analytic_weight(A);
      },
      "column 3");
}

TEST(UnfoldedNetworks, UpToAndSharedOrPerProblemMatrices) {
  const Problem p = make_problem(20, 40, 5, 4);
  for (const std::string& name : kTypes) {
    SCOPED_TRACE(name);
    auto net = build(name, small_options(20, 40, 6));
    net->initialise(p.A);
    const auto all = net->forward_layers(p.y, p.A);
    ASSERT_EQ(all.size(), 6u);
    const auto three = net->forward_layers(p.y, p.A, 3);
    ASSERT_EQ(three.size(), 3u);
    for (std::size_t t = 0; t < 3; ++t) EXPECT_TRUE(torch::equal(three[t], all[t]));
    EXPECT_TRUE(torch::equal(net->forward(p.y, p.A), all.back()));
    EXPECT_EQ(all.back().sizes(), (std::vector<std::int64_t>{5, 40}));
    auto single = build(name, small_options(20, 40, 1));  // one layer: LISTA has no S
    single->initialise(p.A);
    EXPECT_TRUE(torch::equal(single->forward(p.y, p.A), all[0]));
    if (!net->fixed_matrix()) {
      const torch::Tensor per_problem = p.A.unsqueeze(0).expand({5, 20, 40}).contiguous();
      EXPECT_LT(max_difference(net->forward(p.y, per_problem), all.back()), 1e-6);
      // Each problem with its own matrix: the same as running them one by one.
      const torch::Tensor other = make_problem(20, 40, 1, 5).A;
      const torch::Tensor mixed = torch::stack({p.A, other, p.A, other, p.A});
      const torch::Tensor out = net->forward(p.y, mixed);
      EXPECT_LT(max_difference(out[1], net->forward(p.y.narrow(0, 1, 1), other)[0]), 1e-6);
      EXPECT_LT(max_difference(out[2], all.back()[2]), 1e-6);
    } else {
      EXPECT_TRUE(torch::equal(net->forward(p.y), all.back()));  // its own A
    }
  }
}

TEST(UnfoldedNetworks, GradientsReachEveryLearnedValue) {
  const Problem p = make_problem(20, 40, 16, 6);
  for (const std::string& name : kTypes) {
    for (const char* learn : {"0", "1"}) {
      const bool steps = name.rfind("unfolded-", 0) == 0;
      if (!steps && learn == std::string("1")) continue;
      SCOPED_TRACE(name + " learn-thresholds=" + learn);
      dl::ModelOptions o = small_options(20, 40, 5);
      if (steps) o["learn-thresholds"] = learn;
      auto net = build(name, o);
      net->initialise(p.A);
      const torch::Tensor x = net->forward(p.y, p.A);
      (x - p.x.to(torch::kFloat32)).pow(2).sum().backward();
      std::size_t checked = 0;
      for (const auto& parameter : net->named_parameters()) {
        const torch::Tensor& g = parameter.value().grad();
        ASSERT_TRUE(g.defined()) << parameter.key();
        // Every layer's part of it moves the loss (LISTA's S starts at layer 2).
        ASSERT_EQ(g.size(0), parameter.key() == "S" ? 4 : 5) << parameter.key();
        for (std::int64_t t = 0; t < g.size(0); ++t)
          EXPECT_GT(g[t].abs().sum().item<double>(), 0.0) << parameter.key() << " layer " << t + 1;
        ++checked;
      }
      EXPECT_EQ(checked,
                name == "lista"
                    ? 3u
                    : (name == "lista-cpss" ? 2u : 1u + (learn[0] == '1' || name == "alista")));
    }
  }
}

TEST(UnfoldedNetworks, ModelFilesRoundTripForEveryType) {
  deepsolve_test::TempDir dir;
  du::register_unfolded_networks();
  du::register_unfolded_networks();  // idempotent
  EXPECT_EQ(
      dl::ModelRegistry::instance().names(du::kUnfoldedFamily),
      (std::vector<std::string>{"alista", "lista", "lista-cpss", "unfolded-iht", "unfolded-ista"}));
  const Problem p = make_problem(20, 40, 3, 7);
  for (const std::string& name : kTypes) {
    SCOPED_TRACE(name);
    dl::ModelOptions o = small_options(20, 40, 4);
    o["lambda"] = "0.07";
    if (name == "unfolded-iht") o["learn-thresholds"] = "1";
    if (name == "lista-cpss" || name == "alista") o["support-step"] = "5";
    auto net = build(name, o);
    net->initialise(p.A);
    {  // Move every learned value away from its initial one, so the file must carry them.
      torch::NoGradGuard no_grad;
      for (auto& parameter : net->parameters()) parameter.add_(0.01 * torch::randn_like(parameter));
    }
    const std::string path = dir.file(name + ".model");
    dl::save_model(path, *net, {{"note", "round trip"}});
    const dl::LoadedModel loaded = dl::load_model(path);
    EXPECT_EQ(loaded.type->name, name);
    EXPECT_EQ(loaded.options.at("lambda"), "0.07");
    EXPECT_EQ(loaded.metadata.at("note"), "round trip");
    auto again = std::dynamic_pointer_cast<du::UnfoldedModule>(loaded.module);
    ASSERT_TRUE(again);
    EXPECT_EQ(again->layers(), 4);
    EXPECT_DOUBLE_EQ(again->lambda(), 0.07);
    const auto before = net->forward_layers(p.y, p.A);
    const auto after = again->forward_layers(p.y, p.A);
    for (std::size_t t = 0; t < before.size(); ++t) EXPECT_TRUE(torch::equal(before[t], after[t]));
    if (net->fixed_matrix()) {
      EXPECT_TRUE(torch::equal(again->matrix(), net->matrix()));
    }

    const std::string text = dl::describe_model_file(path);
    const dl::ModelType& type = dl::ModelRegistry::instance().get(name);
    EXPECT_NE(text.find("'" + name + "' model (unfolded-sparse)"), std::string::npos) << text;
    EXPECT_NE(text.find(type.describe(*net)), std::string::npos) << text;
    EXPECT_NE(text.find("4 layers, 20×40, λ = 0.07"), std::string::npos) << text;
  }
}

TEST(UnfoldedNetworks, DescriptionsAndClones) {
  EXPECT_EQ(dynamic_cast<du::ListaCpss&>(*build("lista-cpss", {})).describe(),
            "LISTA-CPSS, 16 layers, 250×500, λ = 0.4, support selection 1.2%/layer up to 13%");
  EXPECT_EQ(du::UnfoldedSteps(du::Penalty::l0, {}, true).describe(),
            "unfolded IHT with learned step sizes, 16 layers, 250×500, λ = 0.1, learned "
            "thresholds");
  const Problem p = make_problem(20, 40, 3, 8);
  auto net = build("lista", small_options(20, 40, 3));
  net->initialise(p.A);
  auto copy = std::dynamic_pointer_cast<du::UnfoldedModule>(net->clone());
  ASSERT_TRUE(copy);
  EXPECT_TRUE(torch::equal(copy->forward(p.y), net->forward(p.y)));
  {
    torch::NoGradGuard no_grad;
    for (auto& parameter : copy->parameters()) parameter.zero_();
  }
  EXPECT_GT(net->forward(p.y).abs().sum().item<double>(), 0.0);  // the original is untouched
  // Double precision follows the parameters.
  auto ista = build("unfolded-ista", small_options(20, 40, 3));
  ista->initialise(p.A);
  ista->to(torch::kFloat64);
  EXPECT_EQ(ista->forward(p.y.to(torch::kFloat32), p.A).scalar_type(), torch::kFloat64);
}

TEST(UnfoldedNetworks, BadOptionsAreRefusedByName) {
  auto bad = [](const std::string& name, const std::string& option, const std::string& value) {
    dl::ModelOptions o = small_options(20, 40, 4);
    o[option] = value;
    expect_error<std::invalid_argument>([&] { build(name, o); }, {option, value});
  };
  for (const std::string& name : kTypes) {
    SCOPED_TRACE(name);
    bad(name, "layers", "0");
    bad(name, "lambda", "0");
    bad(name, "lambda", "-1");
    bad(name, "lambda", "nan");
    bad(name, "measurements", "0");
    bad(name, "signal-size", "-3");
  }
  bad("lista-cpss", "support-max", "150");
  bad("alista", "support-max", "-1");
  bad("alista", "support-step", "-0.5");
  expect_error<std::invalid_argument>(
      [] {
        build("lista", {{"signal-size", "100000"}});
      },
      {"lista", "would learn"});
  expect_error<std::invalid_argument>(
      [] {
        build("alista", {{"support-selection", "1"}});
      },
      "support-selection");
}

TEST(UnfoldedNetworks, BadMatricesAndMeasurementsAreRefusedWithTheirShapes) {
  const Problem p = make_problem(20, 40, 3, 9);
  for (const std::string& name : kTypes) {
    SCOPED_TRACE(name);
    auto net = build(name, small_options(20, 40, 4));
    expect_error<std::invalid_argument>([&] { net->initialise(p.A.t()); },
                                        {name, "[20, 40]", "[40, 20]"});
    expect_error<std::invalid_argument>(
        [&] {
          torch::Tensor A = p.A.clone();
          A[0][0] = std::numeric_limits<double>::infinity();
          net->initialise(A);
        },
        "non-finite");
    net->initialise(p.A);
    expect_error<std::invalid_argument>([&] { net->forward(p.y.narrow(1, 0, 15), p.A); },
                                        {name, "y", "[3, 15]"});
    expect_error<std::invalid_argument>([&] { net->forward(p.y[0], p.A); }, {"y", "[20]"});
    expect_error<std::invalid_argument>([&] { net->forward_layers(p.y, p.A, 5); },
                                        {"up_to = 5", "1..4"});
    expect_error<std::invalid_argument>([&] { net->forward_layers(p.y, p.A, 0); }, "up_to = 0");
    if (net->fixed_matrix()) {
      expect_error<std::invalid_argument>(
          [&] {
            net->forward(p.y, p.A.unsqueeze(0).expand({3, 20, 40}));
          },
          {"tied", "[3, 20, 40]"});
    } else {
      expect_error<std::invalid_argument>([&] { net->forward(p.y, {}); }, {"A", "none"});
      expect_error<std::invalid_argument>(
          [&] {
            net->forward(p.y, p.A.unsqueeze(0).expand({2, 20, 40}));
          },
          {"[3, 20, 40]", "[2, 20, 40]"});
    }
  }
}
