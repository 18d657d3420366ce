#include "deepsolve/solvers/krylov/solve_result.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <stdexcept>

namespace deepsolve::solvers {

std::string to_string(ConvergedReason reason) {
  switch (reason) {
    case ConvergedReason::iterating:
      return "CONVERGED_ITERATING";
    case ConvergedReason::converged_rtol:
      return "CONVERGED_RTOL";
    case ConvergedReason::converged_atol:
      return "CONVERGED_ATOL";
    case ConvergedReason::converged_its:
      return "CONVERGED_ITS";
    case ConvergedReason::converged_happy_breakdown:
      return "CONVERGED_HAPPY_BREAKDOWN";
    case ConvergedReason::diverged_null:
      return "DIVERGED_NULL";
    case ConvergedReason::diverged_its:
      return "DIVERGED_ITS";
    case ConvergedReason::diverged_dtol:
      return "DIVERGED_DTOL";
    case ConvergedReason::diverged_breakdown:
      return "DIVERGED_BREAKDOWN";
    case ConvergedReason::diverged_indefinite_pc:
      return "DIVERGED_INDEFINITE_PC";
    case ConvergedReason::diverged_nanorinf:
      return "DIVERGED_NANORINF";
    case ConvergedReason::diverged_indefinite_mat:
      return "DIVERGED_INDEFINITE_MAT";
  }
  return "UNKNOWN_REASON(" + std::to_string(static_cast<int>(reason)) + ")";
}

void KrylovOptions::validate() const {
  auto bad = [](const char* name, double v, const char* want) {
    std::ostringstream msg;
    msg << "invalid Krylov option " << name << " = " << v << " (" << want << ")";
    throw std::invalid_argument(msg.str());
  };
  if (!(rtol_ >= 0.0 && rtol_ < 1.0)) bad("rtol", rtol_, "must be in [0, 1)");
  if (!(atol_ >= 0.0) || !std::isfinite(atol_)) bad("atol", atol_, "must be finite and >= 0");
  if (!(dtol_ > 1.0)) bad("dtol", dtol_, "must be > 1");
  if (max_iterations_ < 0) bad("max_iterations", max_iterations_, "must be >= 0");
}

ConvergedReason check_convergence(const KrylovOptions& opt, int it, double rnorm, double bnorm) {
  if (!std::isfinite(rnorm)) return ConvergedReason::diverged_nanorinf;
  if (rnorm <= std::max(opt.rtol() * bnorm, opt.atol()))
    return rnorm < opt.atol() ? ConvergedReason::converged_atol : ConvergedReason::converged_rtol;
  if (bnorm > 0.0 && rnorm >= opt.dtol() * bnorm) return ConvergedReason::diverged_dtol;
  if (it >= opt.max_iterations()) return ConvergedReason::diverged_its;
  return ConvergedReason::iterating;
}

}  // namespace deepsolve::solvers
