// The rules of sparse_recovery reproduce's four findings (examples/sparse_recovery/findings.cpp)
// on made-up curves: each rule says "holds" on curves that satisfy it and "does not hold" when one
// of its conditions fails, and the finding lines carry the deciding numbers.
#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "reproduction.hpp"

namespace sr = sparse_recovery;

namespace {

constexpr int kT = 4;    // layers
constexpr int kK = 300;  // classical iterations

// A curve of `size` + 1 entries falling geometrically from `start` to `end`.
std::vector<double> falling(double start, double end, int size) {
  std::vector<double> v;
  for (int t = 0; t <= size; ++t) v.push_back(end + (start - end) * std::pow(0.97, t));
  return v;
}

sr::MethodResult method(const std::string& key, const std::string& loss,
                        std::vector<double> objective, std::vector<double> nmse) {
  sr::MethodResult m;
  m.key = key;
  m.label = key;
  m.loss = loss;
  m.network = !loss.empty();
  m.objective = std::move(objective);
  m.nmse_db = std::move(nmse);
  m.mismatch_objective = m.objective;
  m.mismatch_nmse_db = m.nmse_db;
  return m;
}

// Curves where every finding holds: ISTA falls slowly to 1.0 (-16 dB); FISTA is at 1.0 by
// iteration 200; the unsupervised net ends at 1.005 (ISTA needs far more than 4T iterations), the
// supervised one at 1.2 and -18 dB; IHT ends at 2.0 / -7 dB and both IHT networks below it; the
// supervised IHT loses 3 dB under mismatch, the unsupervised 1 dB.
sr::Reproduction all_hold() {
  sr::Reproduction r;
  r.options.layers = kT;
  r.options.classical_iterations = kK;
  std::vector<double> fista(kK + 1, 1.0);
  fista[0] = 5.0;
  r.methods.push_back(method("ista", "", falling(5.0, 1.0, kK), falling(0.0, -16.0, kK)));
  r.methods.push_back(method("fista", "", fista, falling(0.0, -16.0, kK)));
  r.methods.push_back(method("iht", "", falling(6.0, 2.0, kK), falling(0.0, -7.0, kK)));
  r.methods.push_back(
      method("unfolded_ista_supervised", "supervised", {5, 3, 2, 1.5, 1.2}, {0, -4, -8, -12, -18}));
  r.methods.push_back(method("unfolded_ista_unsupervised", "unsupervised", {5, 3, 2, 1.1, 1.005},
                             {0, -3, -6, -10, -15}));
  r.methods.push_back(
      method("unfolded_iht_supervised", "supervised", {6, 4, 3, 2.2, 1.8}, {0, -3, -5, -7, -9}));
  r.methods.push_back(method("unfolded_iht_unsupervised", "unsupervised", {6, 4, 3, 2.1, 1.7},
                             {0, -3, -5, -7, -8}));
  r.methods[5].mismatch_nmse_db.back() = -6.0;  // supervised IHT: 3 dB lost
  r.methods[6].mismatch_nmse_db.back() = -7.0;  // unsupervised IHT: 1 dB lost
  return r;
}

sr::MethodResult& find(sr::Reproduction& r, const std::string& key) {
  for (auto& m : r.methods)
    if (m.key == key) return m;
  throw std::logic_error(key);
}

}  // namespace

TEST(Findings, AllHoldOnCurvesThatSatisfyTheRules) {
  const sr::Reproduction r = all_hold();
  const std::vector<sr::Finding> f = sr::evaluate_findings(r);
  ASSERT_EQ(f.size(), 4u);
  for (int n = 0; n < 4; ++n) {
    EXPECT_EQ(f[n].number, n + 1);
    EXPECT_TRUE(f[n].holds) << sr::finding_line(f[n]);
    EXPECT_EQ(sr::finding_line(f[n]).rfind("finding " + std::to_string(n + 1) + ": holds (", 0),
              0u);
  }
  // The deciding numbers: the network's objective and the gap to FISTA-200.
  EXPECT_NE(f[0].numbers.find("layer 4 objective 1.005"), std::string::npos) << f[0].numbers;
  EXPECT_NE(f[0].numbers.find("relative gap to FISTA-200 5.00e-03"), std::string::npos)
      << f[0].numbers;
  EXPECT_NE(f[3].numbers.find("+3.00 dB supervised"), std::string::npos) << f[3].numbers;
  EXPECT_NE(f[3].numbers.find("+1.00 dB unsupervised"), std::string::npos) << f[3].numbers;
}

TEST(Findings, Finding1FailsWhenTheGapOrTheSpeedUpIsMissing) {
  sr::Reproduction r = all_hold();
  find(r, "unfolded_ista_unsupervised").objective.back() = 1.02;  // 2% above F*
  EXPECT_FALSE(sr::evaluate_findings(r)[0].holds);
  // An objective ISTA reaches within 4T iterations is no speed-up, however close to F*.
  r = all_hold();
  auto& ista = find(r, "ista");
  for (int k = 3; k <= kK; ++k) ista.objective[k] = 1.0;
  const sr::Finding f = sr::evaluate_findings(r)[0];
  EXPECT_FALSE(f.holds);
  EXPECT_NE(f.numbers.find("which ISTA reaches after 3 iterations"), std::string::npos)
      << f.numbers;
}

TEST(Findings, Finding2NeedsBothTheLowerNmseAndTheHigherObjective) {
  sr::Reproduction r = all_hold();
  find(r, "unfolded_ista_supervised").nmse_db.back() = -15.0;  // not below ISTA's -16 dB
  EXPECT_FALSE(sr::evaluate_findings(r)[1].holds);
  r = all_hold();
  find(r, "unfolded_ista_supervised").objective.back() = 0.99;  // below converged ISTA
  EXPECT_FALSE(sr::evaluate_findings(r)[1].holds);
}

TEST(Findings, Finding3NeedsBothIhtNetworksBelowIhtInObjectiveAndNmse) {
  sr::Reproduction r = all_hold();
  find(r, "unfolded_iht_unsupervised").objective.back() = 2.05;  // above IHT-K
  EXPECT_FALSE(sr::evaluate_findings(r)[2].holds);
  r = all_hold();
  find(r, "unfolded_iht_supervised").nmse_db.back() = -6.5;  // above IHT-K's -7 dB
  EXPECT_FALSE(sr::evaluate_findings(r)[2].holds);
}

TEST(Findings, Finding4ComparesTheNmseLossUnderMismatch) {
  sr::Reproduction r = all_hold();
  find(r, "unfolded_iht_unsupervised").mismatch_nmse_db.back() = -4.0;  // 4 dB lost
  const sr::Finding f = sr::evaluate_findings(r)[3];
  EXPECT_FALSE(f.holds);
  EXPECT_EQ(sr::finding_line(f).rfind("finding 4: does not hold (", 0), 0u);
}

TEST(Findings, ClassicalMarksGoBeyondTheLayers) {
  EXPECT_EQ(sr::classical_marks(16, 1000), (std::vector<int>{16, 20, 50, 100, 200, 500, 1000}));
  EXPECT_EQ(sr::classical_marks(8, 500), (std::vector<int>{8, 10, 20, 50, 100, 200, 500}));
  EXPECT_EQ(sr::classical_marks(16, 16), (std::vector<int>{16}));
}
