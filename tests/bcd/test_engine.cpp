// The BCD engine (deepsolve/solvers/bcd: problems, partitions, selection and update rules, the
// loop, the optimum solvers) on small seeded problems: each update decreases f, GS-q picks the
// block of largest g^T H^-1 g, the exact block QP against enumeration, gradients and Hessians
// against finite differences, the incremental state against a recomputation, the paper's
// orderings on an A-like 100 x 400 problem, support identification on NNLS + L1, and the errors
// for bad input.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>

#include "deepsolve/solvers/bcd/block_qp.hpp"
#include "deepsolve/solvers/bcd/datasets.hpp"
#include "deepsolve/solvers/bcd/optimum.hpp"
#include "deepsolve/solvers/bcd/run.hpp"
#include "deepsolve/solvers/bcd/softmax.hpp"

namespace {

namespace bcd = deepsolve::bcd;
using bcd::Blocks;
using bcd::Index;

// The message of the std::invalid_argument thrown by f ("" when none).
std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

bcd::LeastSquares small_least_squares(Index m = 30, Index n = 40, std::uint64_t seed = 3) {
  bcd::LinearDataset d = bcd::dataset_a(m, n, seed);
  return bcd::LeastSquares(d.a, d.b);
}

bcd::Logistic small_logistic(Index m = 40, Index n = 30, double l2 = 1.0) {
  bcd::LinearDataset d = bcd::dataset_b(m, n, 5);
  return bcd::Logistic(d.a, d.b, l2);
}

bcd::Softmax small_softmax() {
  bcd::SoftmaxDataset d = bcd::dataset_c(30, 8, 4, 7);
  return bcd::Softmax(d.x, d.labels, d.classes, 1.0);
}

bcd::LeastSquares small_nnls(const bcd::LinearDataset& d, double fraction) {
  const Eigen::VectorXd c = d.a.transpose() * d.b;
  return bcd::LeastSquares(d.a, d.b, bcd::Regularizer::nonnegative_sum, fraction * c.maxCoeff());
}

// Runs `iterations` of a rule from x = 0 and returns the trace.
bcd::Trace run_rule(bcd::Problem& p, const std::string& selection, Blocks blocks,
                    const std::string& update, Index tau, std::int64_t iterations,
                    const std::string& partition = "sort", double optimum = NAN,
                    const std::vector<Index>* support = nullptr) {
  p.set_x(Eigen::VectorXd::Zero(p.size()));
  std::unique_ptr<bcd::Partition> part;
  if (blocks == Blocks::fixed)
    part = std::make_unique<bcd::Partition>(bcd::make_partition(partition, p.lipschitz(), tau));
  auto s = bcd::make_selection(selection, blocks);
  auto u = bcd::make_update(update, p);
  bcd::RunOptions o;
  o.max_iterations = iterations;
  o.tau = tau;
  o.seed = 11;
  o.optimum = optimum;
  if (support) {
    o.track_support = true;
    o.optimal_support = *support;
  }
  return bcd::run(p, *s, *u, part.get(), o, selection + "/" + update);
}

double final_objective(const bcd::Trace& t) {
  return t.points.back().objective;
}

void expect_monotone_decrease(const bcd::Trace& t, const std::string& what) {
  ASSERT_GE(t.points.size(), 2u) << what;
  EXPECT_LT(t.points.back().objective, t.points.front().objective) << what;
  for (std::size_t k = 1; k < t.points.size(); ++k)
    EXPECT_LE(t.points[k].objective, t.points[k - 1].objective * (1 + 1e-12) + 1e-12)
        << what << " at iteration " << t.points[k].iteration;
}

TEST(BcdEngine, EveryUpdateRuleDecreasesItsProblem) {
  bcd::LeastSquares ls = small_least_squares();
  bcd::Logistic lg = small_logistic();
  bcd::Softmax sm = small_softmax();
  const bcd::LinearDataset d = bcd::dataset_a(30, 40, 3);
  bcd::LeastSquares nn = small_nnls(d, 0.2);
  bcd::LeastSquares l1(d.a, d.b, bcd::Regularizer::l1, 50.0);
  for (const std::string u : {"gradient", "matrix", "newton", "qp"})
    expect_monotone_decrease(run_rule(ls, "gs", Blocks::variable, u, 4, 30), "least squares " + u);
  for (const std::string u : {"gradient", "matrix", "newton"}) {
    expect_monotone_decrease(run_rule(lg, "random", Blocks::variable, u, 5, 30), "logistic " + u);
    expect_monotone_decrease(run_rule(sm, "cyclic", Blocks::fixed, u, 4, 30), "softmax " + u);
  }
  for (const std::string u : {"gradient", "tmp", "qp"}) {
    const bcd::Trace t = run_rule(nn, "gsq-nn", Blocks::variable, u, 4, 30);
    expect_monotone_decrease(t, "NNLS + L1 " + u);
    EXPECT_GE(nn.x().minCoeff(), 0.0) << u;
  }
  expect_monotone_decrease(run_rule(l1, "gsq-nn", Blocks::fixed, "gradient", 4, 30),
                           "L1 proximal gradient");
}

TEST(BcdEngine, FixedGsqPicksTheBlockOfLargestGradientInHessianNorm) {
  bcd::LeastSquares p = small_least_squares(10, 12, 9);
  Eigen::VectorXd x(12);
  for (Index i = 0; i < 12; ++i) x[i] = std::sin(1.7 * double(i));
  p.set_x(x);
  const bcd::Partition part = bcd::make_partition("order", p.lipschitz(), 3);
  // Brute force from the dense A^T A.
  const Eigen::MatrixXd a = Eigen::MatrixXd(p.matrix());
  const Eigen::MatrixXd h = a.transpose() * a;
  const Eigen::VectorXd g = a.transpose() * (a * x - p.targets());
  Index best = -1;
  double best_value = -1, second = -1;
  for (Index k = 0; k < part.count(); ++k) {
    const bcd::Block& b = part.block(k);
    Eigen::MatrixXd hb(3, 3);
    Eigen::VectorXd gb(3);
    for (int i = 0; i < 3; ++i) {
      gb[i] = g[b[i]];
      for (int j = 0; j < 3; ++j) hb(i, j) = h(b[i], b[j]);
    }
    const double value = gb.dot(hb.ldlt().solve(gb));
    if (value > best_value)
      second = best_value, best_value = value, best = k;
    else
      second = std::max(second, value);
  }
  ASSERT_GT(best_value, second * (1 + 1e-9));  // a unique answer
  auto s = bcd::make_selection("gsq", Blocks::fixed);
  deepsolve::solvers::SplitMix64 rng(1);
  bcd::SelectionContext c{p, &part, 3, rng, 0};
  EXPECT_EQ(s->select(c).partition_block, best);
  // GSL picks by ||g_b||^2 / L_b: a different rule, checked the same way.
  EXPECT_NEAR(p.gradient().dot(g) / g.squaredNorm(), 1.0, 1e-12);
}

TEST(BcdEngine, VariableGsqReturnsTauIndicesAndBeatsGslAndGsdInGsqValue) {
  bcd::LeastSquares p = small_least_squares(40, 120, 4);
  Eigen::VectorXd x = Eigen::VectorXd::Zero(120);
  p.set_x(x);
  deepsolve::solvers::SplitMix64 rng(1);
  const auto value = [&](const bcd::Block& b) {
    const bcd::BlockCurvature c = bcd::block_curvature(p, b);
    Eigen::VectorXd g(static_cast<Index>(b.size()));
    for (std::size_t q = 0; q < b.size(); ++q) g[static_cast<Index>(q)] = p.gradient()[b[q]];
    return g.dot(c.bound_pseudo_inverse * g);
  };
  for (Index tau : {1, 5, 17}) {
    bcd::SelectionContext c{p, nullptr, tau, rng, 0};
    const bcd::Block q = bcd::make_selection("gsq", Blocks::variable)->select(c).block;
    ASSERT_EQ(static_cast<Index>(q.size()), tau);
    bcd::check_block(q, p.size());
    const bcd::Block l = bcd::make_selection("gsl", Blocks::variable)->select(c).block;
    const bcd::Block d = bcd::make_selection("gsd", Blocks::variable)->select(c).block;
    EXPECT_GE(value(q), value(l) * (1 - 1e-12)) << tau;
    EXPECT_GE(value(q), value(d) * (1 - 1e-12)) << tau;
  }
}

TEST(BcdEngine, PaperOrderingsOnASmallALikeProblem) {
  // The ordering with matrix updates (Fig. 5): GSQ-VB < GSL-VB < GS-VB < random.
  bcd::LinearDataset d = bcd::dataset_a(100, 400, 1);
  bcd::LeastSquares p(d.a, d.b);
  const double fstar = bcd::least_squares_optimum(p).value;
  const auto gap = [&](const std::string& rule, Blocks blocks, const std::string& update,
                       const std::string& partition = "sort") {
    return final_objective(run_rule(p, rule, blocks, update, 5, 200, partition)) - fstar;
  };
  const double gsq = gap("gsq", Blocks::variable, "matrix");
  const double gsl = gap("gsl", Blocks::variable, "matrix");
  const double gs = gap("gs", Blocks::variable, "matrix");
  const double random = gap("random", Blocks::variable, "matrix");
  EXPECT_LT(gsq, gsl);
  EXPECT_LT(gsl, gs);
  EXPECT_LT(gs, random);
  // Sorted partitions are best for GSL with gradient updates (Fig. 10).
  EXPECT_LT(gap("gsl", Blocks::fixed, "gradient", "sort"),
            gap("gsl", Blocks::fixed, "gradient", "order"));
}

TEST(BcdEngine, NnlsL1SupportIsIdentifiedAndTheExactQpConvergesFarFasterThanPg) {
  // lambda = 0.1 lambda_max: 7 nonzeros, more than one block of 5 (seed 2: PN reaches the
  // target in 8 iterations, PG in 93).
  bcd::LinearDataset d = bcd::dataset_a(60, 200, 2);
  bcd::LeastSquares p = small_nnls(d, 0.1);
  const bcd::Optimum opt = bcd::nonnegative_optimum(p);
  const std::vector<Index> support = bcd::support_of(opt.x);
  ASSERT_GT(support.size(), 5u);
  ASSERT_LT(support.size(), 30u);
  EXPECT_LT(opt.kkt_residual, 1e-6);
  const double target = 1e-8 * std::max(1.0, opt.value);
  const auto iterations_to = [&](const bcd::Trace& t) {
    for (const auto& pt : t.points)
      if (pt.objective - opt.value <= target) return pt.iteration;
    return std::int64_t{-1};
  };
  const bcd::Trace pn =
      run_rule(p, "gsq-nn", Blocks::variable, "qp", 5, 300, "sort", opt.value, &support);
  const bcd::Trace pg =
      run_rule(p, "gsq-nn", Blocks::variable, "gradient", 5, 300, "sort", opt.value, &support);
  EXPECT_GE(pn.support_identified_at, 0);
  const std::int64_t pn_it = iterations_to(pn), pg_it = iterations_to(pg);
  ASSERT_GE(pn_it, 0);
  EXPECT_TRUE(pg_it < 0 || 2 * pn_it <= pg_it) << "PN " << pn_it << ", PG " << pg_it;
}

TEST(BcdEngine, LogisticNewtonConverges) {
  // Regularised (f* attained): to 1e-8 relative; separable and unregularised (the paper's B,
  // f* = inf f = 0): f below 1e-8.
  bcd::Logistic p = small_logistic(60, 40, 10.0);
  const double fstar = bcd::smooth_optimum(p).value;
  EXPECT_LT(p.optimality_residual_norm(), 1e-6);
  const bcd::Trace t = run_rule(p, "gsq", Blocks::variable, "newton", 20, 300);
  EXPECT_LT(final_objective(t) - fstar, 1e-8 * std::max(1.0, fstar));
  bcd::Logistic separable = small_logistic(30, 90, 0.0);
  const bcd::Trace s = run_rule(separable, "gsq", Blocks::variable, "newton", 10, 300);
  EXPECT_LT(final_objective(s), 1e-8);
}

TEST(BcdEngine, IncrementalStateMatchesARecomputation) {
  bcd::Logistic lg = small_logistic(50, 80, 0.5);
  run_rule(lg, "random", Blocks::variable, "gradient", 7, 3000);
  EXPECT_LT(lg.state_drift(), 1e-9 * std::max(1.0, lg.gradient().lpNorm<Eigen::Infinity>()));
  bcd::LeastSquares ls = small_least_squares(50, 80, 6);
  run_rule(ls, "gsl", Blocks::variable, "matrix", 5, 2000);
  EXPECT_LT(ls.state_drift(), 1e-9 * std::max(1.0, ls.targets().lpNorm<Eigen::Infinity>()));
  bcd::Softmax sm = small_softmax();
  run_rule(sm, "random", Blocks::variable, "gradient", 3, 2000);
  EXPECT_LT(sm.state_drift(), 1e-10);
  // And objective_after agrees with an update followed by objective().
  const bcd::Block b = {1, 5, 9};
  const Eigen::VectorXd delta = Eigen::Vector3d(0.01, -0.02, 0.005);
  const double predicted = sm.objective_after(b, delta);
  sm.update_block(b, delta);
  EXPECT_NEAR(sm.objective(), predicted, 1e-10 * std::abs(predicted));
}

// Central differences of the objective along e_i against the gradient, and of the gradient
// against the exact Hessian block.
void check_derivatives(bcd::Problem& p, const Eigen::VectorXd& x, const bcd::Block& b) {
  p.set_x(x);
  const Eigen::VectorXd g = p.gradient();
  const Eigen::MatrixXd h = p.hessian_block(b);
  for (std::size_t q = 0; q < b.size(); ++q) {
    const double step = 1e-5 * std::max(1.0, std::abs(x[b[q]]));
    Eigen::VectorXd plus = x, minus = x;
    plus[b[q]] += step;
    minus[b[q]] -= step;
    p.set_x(plus);
    const double fp = p.objective();
    const Eigen::VectorXd gp = p.gradient();
    p.set_x(minus);
    const double fm = p.objective();
    const Eigen::VectorXd gm = p.gradient();
    EXPECT_NEAR((fp - fm) / (2 * step), g[b[q]], 1e-5 * std::max(1.0, std::abs(g[b[q]])))
        << p.name() << " coordinate " << b[q];
    for (std::size_t r = 0; r < b.size(); ++r)
      EXPECT_NEAR((gp[b[r]] - gm[b[r]]) / (2 * step),
                  h(static_cast<Index>(r), static_cast<Index>(q)),
                  1e-4 * std::max(1.0, std::abs(h(static_cast<Index>(r), static_cast<Index>(q)))))
          << p.name() << " Hessian (" << b[r] << ", " << b[q] << ")";
  }
  // The Hessian bound dominates the exact Hessian on the block.
  const Eigen::MatrixXd gap = p.hessian_bound_block(b) - h;
  EXPECT_GE(Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd>(gap).eigenvalues().minCoeff(),
            -1e-9 * h.norm())
      << p.name();
}

TEST(BcdEngine, GradientsAndHessiansMatchFiniteDifferences) {
  bcd::Logistic lg = small_logistic(20, 6, 0.3);
  Eigen::VectorXd x(6);
  for (Index i = 0; i < 6; ++i) x[i] = 0.01 * std::cos(double(i));
  check_derivatives(lg, x, {0, 2, 5});
  bcd::Softmax sm = small_softmax();
  Eigen::VectorXd w(sm.size());
  for (Index i = 0; i < w.size(); ++i) w[i] = 0.003 * std::sin(double(3 * i));
  check_derivatives(sm, w, {0, 1, 6, 13, 31});
}

TEST(BcdEngine, BlockQpMatchesEnumerationOfActiveSets) {
  deepsolve::solvers::SplitMix64 rng(5);
  for (int trial = 0; trial < 20; ++trial) {
    const int n = 6;
    Eigen::MatrixXd m(n + 2, n);
    for (int i = 0; i < m.rows(); ++i)
      for (int j = 0; j < n; ++j) m(i, j) = rng.uniform() - 0.5;
    const Eigen::MatrixXd h = m.transpose() * m;
    Eigen::VectorXd c(n), start(n);
    for (int j = 0; j < n; ++j) c[j] = rng.uniform() - 0.5, start[j] = rng.uniform();
    const bcd::NonnegativeQpResult r = bcd::solve_nonnegative_qp(h, c, start);
    ASSERT_TRUE(r.converged);
    double best = INFINITY;
    for (int mask = 0; mask < (1 << n); ++mask) {  // free sets
      std::vector<int> f;
      for (int j = 0; j < n; ++j)
        if (mask & (1 << j)) f.push_back(j);
      Eigen::VectorXd y = Eigen::VectorXd::Zero(n);
      if (!f.empty()) {
        Eigen::MatrixXd hf(f.size(), f.size());
        Eigen::VectorXd cf(f.size());
        for (std::size_t i = 0; i < f.size(); ++i) {
          cf[i] = c[f[i]];
          for (std::size_t j = 0; j < f.size(); ++j) hf(i, j) = h(f[i], f[j]);
        }
        const Eigen::VectorXd yf = hf.ldlt().solve(-cf);
        if (yf.minCoeff() < 0) continue;
        for (std::size_t i = 0; i < f.size(); ++i) y[f[i]] = yf[i];
      }
      best = std::min(best, 0.5 * y.dot(h * y) + c.dot(y));
    }
    EXPECT_GE(r.y.minCoeff(), 0.0);
    EXPECT_NEAR(0.5 * r.y.dot(h * r.y) + c.dot(r.y), best, 1e-12) << trial;
  }
}

TEST(BcdEngine, OptimaAreStationary) {
  bcd::LeastSquares tall = small_least_squares(60, 20, 8);  // m > n: f* > 0
  const bcd::Optimum o = bcd::least_squares_optimum(tall);
  tall.set_x(o.x);
  EXPECT_LT(tall.optimality_residual_norm(), 1e-6 * tall.matrix().norm() * tall.targets().norm());
  EXPECT_NEAR(tall.objective(), o.value, 1e-9 * o.value);
  bcd::Softmax sm = small_softmax();
  const bcd::Optimum s = bcd::smooth_optimum(sm);
  EXPECT_LT(s.kkt_residual, 1e-6);
}

TEST(BcdEngine, BadInputIsRefusedWithAClearMessage) {
  bcd::LinearDataset d = bcd::dataset_a(10, 12, 1);
  bcd::SparseMatrix bad = d.a;
  bad.coeffRef(0, 0) = std::numeric_limits<double>::quiet_NaN();
  EXPECT_NE(error_of([&] { bcd::LeastSquares(bad, d.b); }).find("(0, 0) is not finite"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              bcd::LeastSquares(d.a, Eigen::VectorXd::Zero(9));
            }).find("10 rows but the targets have 9"),
            std::string::npos);
  Eigen::VectorXd labels = Eigen::VectorXd::Ones(10);
  labels[3] = 0.5;
  EXPECT_NE(error_of([&] { bcd::Logistic(d.a, labels, 1.0); }).find("label 3 is 0.5"),
            std::string::npos);
  bcd::LeastSquares p(d.a, d.b);
  EXPECT_NE(error_of([&] {
              bcd::make_partition("sort", p.lipschitz(), 13);
            }).find("block size 13 is larger than the number of coordinates 12"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              bcd::make_partition("sort", p.lipschitz(), 5);
            }).find("12 is not a multiple of 5"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              bcd::make_partition("sorted", p.lipschitz(), 3);
            }).find("unknown partition 'sorted' (valid: order, sort, avg)"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              bcd::Partition({{0, 1}, {}, {2}}, 3);
            }).find("block 1 is empty"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              bcd::make_selection("gsq-vb", Blocks::variable);
            }).find("unknown variable-block selection rule 'gsq-vb'"),
            std::string::npos);
  bcd::LeastSquares nn(d.a, d.b, bcd::Regularizer::nonnegative_sum, 1.0);
  EXPECT_NE(error_of([&] {
              bcd::make_update("matrix", nn);
            }).find("'matrix' does not handle non-negative least squares + L1"),
            std::string::npos);
  EXPECT_NE(error_of([&] { bcd::check_block({}, 5); }).find("block is empty"), std::string::npos);
  EXPECT_NE(error_of([&] {
              bcd::check_block({1, 1}, 5);
            }).find("index 1 appears twice"),
            std::string::npos);
  auto s = bcd::make_selection("gs", Blocks::variable);
  auto u = bcd::make_update("gradient", p);
  bcd::RunOptions o;
  o.tau = 20;
  EXPECT_NE(error_of([&] {
              bcd::run(p, *s, *u, nullptr, o, "x");
            }).find("block size 20 is not in [1, 12]"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              bcd::LeastSquares(d.a, d.b, bcd::Regularizer::l1, -1.0);
            }).find("weight must be finite and >= 0"),
            std::string::npos);
}

}  // namespace

namespace {

TEST(BcdEngine, HeapSelectionOnSparseDataMatchesAFullScan) {
  // 3000 x 2000 with 3 nonzeros per column: an update of 5 columns changes ~30 gradient entries,
  // so the VB score rules rescore only those (a heap); the blocks must equal a full top-tau scan.
  deepsolve::solvers::SplitMix64 rng(3);
  std::vector<Eigen::Triplet<double, std::int64_t>> entries;
  for (Index j = 0; j < 2000; ++j)
    for (int k = 0; k < 3; ++k)
      entries.emplace_back(static_cast<Index>(rng.below(3000)), j, rng.uniform() + 0.5);
  bcd::SparseMatrix a(3000, 2000);
  a.setFromTriplets(entries.begin(), entries.end());
  Eigen::VectorXd b(3000);
  for (Index r = 0; r < 3000; ++r) b[r] = rng.uniform() - 0.5;
  bcd::LeastSquares p(a, b, bcd::Regularizer::nonnegative_sum, 0.01);
  for (const std::string rule : {"gs", "gsd", "gsq-nn"}) {
    p.set_x(Eigen::VectorXd::Zero(2000));
    auto s = bcd::make_selection(rule, Blocks::variable);
    auto u = bcd::make_update("qp", p);
    deepsolve::solvers::SplitMix64 r(1);
    int incremental = 0;
    for (std::int64_t it = 0; it < 200; ++it) {
      bcd::SelectionContext c{p, nullptr, 5, r, it};
      const bcd::Block chosen = s->select(c).block;
      Eigen::VectorXd scores(2000);
      for (Index i = 0; i < 2000; ++i) {
        const double res = std::abs(p.optimality_residual(i));
        scores[i] = rule == "gs"    ? res
                    : rule == "gsd" ? res / std::sqrt(p.lipschitz()[i])
                                    : bcd::proximal_progress(p, i);
      }
      ASSERT_EQ(chosen, bcd::top_scores(scores, 5)) << rule << " iteration " << it;
      u->apply(p, chosen, nullptr);
      incremental += p.last_changed() != nullptr;
    }
    EXPECT_EQ(incremental, 200) << rule;  // every update reported its few changes
  }
}

}  // namespace

namespace {

TEST(BcdEngine, LoopStopsOnTheKktTestAndOnTheTargetGap) {
  bcd::LinearDataset d = bcd::dataset_a(60, 200, 2);
  const Eigen::VectorXd c = d.a.transpose() * d.b;
  bcd::LeastSquares p(d.a, d.b, bcd::Regularizer::nonnegative_sum, 0.25 * c.maxCoeff());
  const double fstar = bcd::nonnegative_optimum(p).value;
  p.set_x(Eigen::VectorXd::Zero(p.size()));
  auto s = bcd::make_selection("gsq-nn", Blocks::variable);
  auto u = bcd::make_update("qp", p);
  bcd::RunOptions o;
  o.max_iterations = 10000;
  o.kkt_tolerance = 1e-6 * c.lpNorm<Eigen::Infinity>();
  const bcd::Trace t = bcd::run(p, *s, *u, nullptr, o, "kkt");
  EXPECT_LT(t.points.back().iteration, 10000);
  EXPECT_LE(p.optimality_residual_norm(), o.kkt_tolerance);
  EXPECT_GT(p.optimality_residual_norm(), 0.0);
  p.set_x(Eigen::VectorXd::Zero(p.size()));
  bcd::RunOptions g;
  g.max_iterations = 10000;
  g.optimum = fstar;
  g.target_gap = 1e-3 * fstar;
  g.trace_every = 7;
  const bcd::Trace tg = bcd::run(p, *s, *u, nullptr, g, "gap");
  EXPECT_LE(tg.points.back().objective - fstar, g.target_gap);
  EXPECT_GT(tg.points[tg.points.size() - 2].objective - fstar, g.target_gap);
  EXPECT_EQ(tg.points[1].iteration, std::min<std::int64_t>(7, tg.points.back().iteration));
}

}  // namespace
