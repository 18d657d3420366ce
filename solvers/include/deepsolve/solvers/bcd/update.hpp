// Block update rules (Nutini, Laradji & Schmidt, JMLR 2022, Sections 2.2, 5 and 6):
//   gradient: x_b <- prox(x_b - g_b / L_b), L_b = lambda_max(H_b); with x >= 0 this is the
//             projected gradient ("PG"), with L1 the proximal gradient step;
//   matrix:   x_b <- x_b - H_b^+ g_b with the block of the Hessian bound (smooth problems);
//   newton:   x_b <- x_b - alpha H_b^-1 g_b with the exact block Hessian and a backtracking
//             Armijo line search with quadratic interpolation (smooth problems);
//   tmp:      two-metric projection (Gafni & Bertsekas 1984) for x >= 0: a diagonal step on the
//             coordinates at their bound with g_i > 0, Newton on the others, projected line search;
//   qp:       the exact block minimiser of the quadratic model with x_b >= 0 ("PN"), by the
//             active-set solver of block_qp.hpp (least squares: the exact block minimiser).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "deepsolve/solvers/bcd/partition.hpp"

namespace deepsolve::bcd {

class Update {
 public:
  virtual ~Update() = default;
  /// Updates x on block b. `cached` is the block's curvature when the block comes from a
  /// partition (computed once), null for variable blocks (computed here when needed).
  virtual void apply(Problem& problem, const Block& b, const BlockCurvature* cached) = 0;
  /// Line-search steps taken by the last apply (newton, tmp), for reports.
  int last_backtracks = 0;
};

struct UpdateRule {
  std::string name;
  std::string label;  // the paper's name, e.g. "PN" for qp
  std::string description;
  std::vector<Regularizer> supports;
  std::function<std::unique_ptr<Update>()> make;
};

const std::vector<UpdateRule>& update_rules();
/// The named update for `problem`'s regulariser; std::invalid_argument for an unknown name or
/// a rule that does not handle the problem (e.g. matrix on x >= 0).
std::unique_ptr<Update> make_update(const std::string& name, const Problem& problem);

}  // namespace deepsolve::bcd
