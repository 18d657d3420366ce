// LinearAG (linear_ag.hpp): per-evaluation least-squares prediction of the unconditional
// estimate from past estimates (Castillo et al., arXiv 2312.12487), its fit, and its file.
#include "deepsolve/diffusion/linear_ag.hpp"

#include <ATen/ATen.h>

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <sstream>
#include <stdexcept>

#include "deepsolve/learned/io/archive.hpp"

namespace deepsolve::diffusion {

namespace linear_ag_detail {

constexpr const char* kArchiveKind = "linear-ag";
constexpr const char* kMagic = "deepsolve-linear-ag";
constexpr int kVersion = 1;

std::string exact_text(double value) {
  char buffer[40];
  std::snprintf(buffer, sizeof buffer, "%.17g", value);
  return buffer;
}

// Rows of a [B, ...] float64 tensor whose elements are all finite: [B] bool.
at::Tensor finite_rows(const at::Tensor& t) {
  return at::isfinite(t.reshape({t.size(0), -1})).all(1);
}

// The sigmas of two trajectories agree to rounding.
bool same_sigma(double a, double b) {
  return std::abs(a - b) <= 1e-12 * std::max(1.0, std::abs(a));
}

void check_step(const LinearAG::Step& s, std::size_t k) {
  const std::string where = "LinearAG step " + std::to_string(k) + ": ";
  if (!(s.sigma > 0) || !std::isfinite(s.sigma))
    throw std::invalid_argument(where + "sigma " + exact_text(s.sigma) + " is not finite and > 0");
  if (k == 0) {
    if (s.history != 0 || !s.coefficients.empty() || s.predicted)
      throw std::invalid_argument(where +
                                  "the first evaluation has no history and is never predicted");
    return;
  }
  if (s.history < 1 || s.history > static_cast<std::int64_t>(k))
    throw std::invalid_argument(where + "history " + std::to_string(s.history) + " is not in [1, " +
                                std::to_string(k) + "]");
  if (s.coefficients.size() != static_cast<std::size_t>(1 + 2 * s.history))
    throw std::invalid_argument(where + std::to_string(s.coefficients.size()) +
                                " coefficients for a history of " + std::to_string(s.history) +
                                " (expected " + std::to_string(1 + 2 * s.history) + ")");
  for (const double c : s.coefficients)
    if (!std::isfinite(c)) throw std::invalid_argument(where + "a coefficient is not finite");
}

// Parses one number token exactly (strtod also reads nan and inf).
bool parse_double(const std::string& token, double& value) {
  char* end = nullptr;
  value = std::strtod(token.c_str(), &end);
  return !token.empty() && end == token.c_str() + token.size();
}

bool parse_int(const std::string& token, std::int64_t& value) {
  char* end = nullptr;
  value = std::strtoll(token.c_str(), &end, 10);
  return !token.empty() && end == token.c_str() + token.size();
}

}  // namespace linear_ag_detail

LinearAG::LinearAG(std::vector<Step> steps) : steps_(std::move(steps)) {
  if (steps_.empty()) throw std::invalid_argument("LinearAG: a model needs at least one step");
  for (std::size_t k = 0; k < steps_.size(); ++k) linear_ag_detail::check_step(steps_[k], k);
}

LinearAG LinearAG::fit(const std::vector<GuidanceTrajectory>& trajectories,
                       const LinearAGOptions& options) {
  namespace detail = linear_ag_detail;
  if (options.history() < 1)
    throw std::invalid_argument("LinearAG option history = " + std::to_string(options.history()) +
                                ": must be >= 1");
  if (!(options.first_fraction() >= 0 && options.first_fraction() <= 1))
    throw std::invalid_argument(
        "LinearAG option first_fraction = " + detail::exact_text(options.first_fraction()) +
        ": must be in [0, 1]");
  if (!(options.max_residual() >= 0))
    throw std::invalid_argument("LinearAG option max_residual = " +
                                detail::exact_text(options.max_residual()) + ": must be >= 0");
  if (options.max_consecutive() < 1)
    throw std::invalid_argument("LinearAG option max_consecutive = " +
                                std::to_string(options.max_consecutive()) + ": must be >= 1");
  if (trajectories.empty()) throw std::invalid_argument("LinearAG::fit: no trajectories");
  const auto& first = trajectories.front();
  const std::size_t evaluations = first.sigma.size();
  if (evaluations < 2)
    throw std::invalid_argument("LinearAG::fit: a trajectory of " + std::to_string(evaluations) +
                                " evaluations (at least 2 are needed; record with "
                                "GuidanceOptions().record(true))");
  for (std::size_t t = 0; t < trajectories.size(); ++t) {
    const auto& tr = trajectories[t];
    const std::string which = "LinearAG::fit: trajectory " + std::to_string(t) + " ";
    if (tr.sigma.size() != evaluations || tr.conditional.size() != evaluations ||
        tr.unconditional.size() != evaluations)
      throw std::invalid_argument(which + "has " + std::to_string(tr.sigma.size()) + " sigmas, " +
                                  std::to_string(tr.conditional.size()) + " conditional and " +
                                  std::to_string(tr.unconditional.size()) +
                                  " unconditional estimates; trajectory 0 has " +
                                  std::to_string(evaluations) + " evaluations");
    for (std::size_t k = 0; k < evaluations; ++k) {
      if (!detail::same_sigma(tr.sigma[k], first.sigma[k]))
        throw std::invalid_argument(which + "has sigma " + detail::exact_text(tr.sigma[k]) +
                                    " at evaluation " + std::to_string(k) + ", trajectory 0 has " +
                                    detail::exact_text(first.sigma[k]));
      const auto& c = tr.conditional[k];
      const auto& u = tr.unconditional[k];
      if (!c.defined() || !u.defined() || c.sizes() != u.sizes() || c.dim() < 1 ||
          c.sizes().slice(1) != first.conditional[0].sizes().slice(1) ||
          (k > 0 && c.size(0) != tr.conditional[0].size(0)))
        throw std::invalid_argument(which + "has estimates of mismatched shapes at evaluation " +
                                    std::to_string(k));
    }
  }

  std::vector<Step> steps(evaluations);
  steps[0].sigma = first.sigma[0];
  steps[0].relative_residual = std::numeric_limits<double>::quiet_NaN();
  for (std::size_t k = 1; k < evaluations; ++k) {
    const auto m = std::min<std::int64_t>(static_cast<std::int64_t>(k), options.history());
    const auto p = 1 + 2 * m;
    std::vector<at::Tensor> design_parts, target_parts, signal_parts;
    for (const auto& tr : trajectories) {
      auto ok = detail::finite_rows(tr.unconditional[k]) & detail::finite_rows(tr.conditional[k]);
      for (std::int64_t j = 1; j <= m; ++j) {
        ok = ok & detail::finite_rows(tr.unconditional[k - j]) &
             detail::finite_rows(tr.conditional[k - j]);
      }
      const auto rows = ok.nonzero().reshape({-1});
      if (rows.numel() == 0) continue;
      const auto flat = [&](const at::Tensor& t) {
        return t.index_select(0, rows).to(at::kDouble).reshape({-1});
      };
      std::vector<at::Tensor> columns{flat(tr.conditional[k])};
      for (std::int64_t j = 1; j <= m; ++j) {
        columns.push_back(flat(tr.unconditional[k - j]));
        columns.push_back(flat(tr.conditional[k - j]));
      }
      design_parts.push_back(at::stack(columns, 1));
      target_parts.push_back(flat(tr.unconditional[k]));
      signal_parts.push_back(flat(tr.conditional[k]) - target_parts.back());
    }
    if (design_parts.empty())
      throw std::invalid_argument(
          "LinearAG::fit: no sample has its unconditional estimate at "
          "evaluation " +
          std::to_string(k) + " and the " + std::to_string(m) +
          " before it (record full-CFG trajectories)");
    const auto design = at::cat(design_parts).contiguous();
    const auto target = at::cat(target_parts).contiguous();
    using RowMajor = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    const Eigen::Map<const RowMajor> a_map(design.data_ptr<double>(), design.size(0), p);
    const Eigen::Map<const Eigen::VectorXd> y(target.data_ptr<double>(), target.size(0));
    const Eigen::MatrixXd a = a_map;
    const Eigen::VectorXd coefficients = a.colPivHouseholderQr().solve(y);
    // The error of a prediction enters CFG through the guidance direction eps_c - eps_u, so the
    // residual is measured against that (relative to eps_u it would look tiny at high noise,
    // where eps_u ~ eps_c ~ x / sigma).
    const double y_norm = at::cat(signal_parts).norm().item<double>();
    const double r_norm = (a * coefficients - y).norm();
    Step& step = steps[k];
    step.sigma = first.sigma[k];
    step.history = m;
    step.coefficients.assign(coefficients.data(), coefficients.data() + coefficients.size());
    step.relative_residual =
        y_norm > 0 ? r_norm / y_norm : (r_norm > 0 ? std::numeric_limits<double>::infinity() : 0.0);
  }

  // The predicted evaluations: early, well fitted, at most max_consecutive in a row.
  std::int64_t run = 0;
  for (std::size_t k = 1; k < evaluations; ++k) {
    const bool early =
        static_cast<double>(k) < options.first_fraction() * static_cast<double>(evaluations);
    if (early && steps[k].relative_residual <= options.max_residual() &&
        run < options.max_consecutive()) {
      steps[k].predicted = true;
      ++run;
    } else {
      run = 0;
    }
  }
  return LinearAG(std::move(steps));
}

std::int64_t LinearAG::history() const {
  std::int64_t h = 0;
  for (const auto& s : steps_) h = std::max(h, s.history);
  return h;
}

const LinearAG::Step& LinearAG::step(std::int64_t k) const {
  if (k < 0 || k >= evaluations())
    throw std::invalid_argument("LinearAG: evaluation " + std::to_string(k) +
                                " is not one of the model's " + std::to_string(evaluations()));
  return steps_[static_cast<std::size_t>(k)];
}

bool LinearAG::predicted(std::int64_t k) const {
  return k >= 0 && k < evaluations() && steps_[static_cast<std::size_t>(k)].predicted;
}

void LinearAG::set_predicted(const std::vector<bool>& predicted) {
  if (predicted.size() != steps_.size())
    throw std::invalid_argument("LinearAG::set_predicted: " + std::to_string(predicted.size()) +
                                " flags for a model of " + std::to_string(steps_.size()) +
                                " evaluations");
  if (!predicted.empty() && predicted[0])
    throw std::invalid_argument("LinearAG::set_predicted: evaluation 0 cannot be predicted");
  for (std::size_t k = 0; k < steps_.size(); ++k) steps_[k].predicted = predicted[k];
}

std::int64_t LinearAG::predicted_count() const {
  return std::count_if(steps_.begin(), steps_.end(), [](const Step& s) { return s.predicted; });
}

at::Tensor LinearAG::predict(std::int64_t k, const at::Tensor& eps_c,
                             const std::vector<at::Tensor>& past_c,
                             const std::vector<at::Tensor>& past_u) const {
  const Step& s = step(k);
  if (k == 0) throw std::invalid_argument("LinearAG: evaluation 0 cannot be predicted");
  const auto m = static_cast<std::size_t>(s.history);
  if (past_c.size() < m || past_u.size() < m)
    throw std::invalid_argument("LinearAG: evaluation " + std::to_string(k) + " needs " +
                                std::to_string(m) + " past estimates, got " +
                                std::to_string(std::min(past_c.size(), past_u.size())));
  auto result = s.coefficients[0] * eps_c;
  for (std::size_t j = 0; j < m; ++j) {
    if (past_c[j].sizes() != eps_c.sizes() || past_u[j].sizes() != eps_c.sizes())
      throw std::invalid_argument("LinearAG: past estimates of another shape than eps_c");
    result = result + s.coefficients[1 + 2 * j] * past_u[j] + s.coefficients[2 + 2 * j] * past_c[j];
  }
  return result;
}

void LinearAG::save(const std::string& path) const {
  namespace detail = linear_ag_detail;
  std::string text = std::string(detail::kMagic) + " " + std::to_string(detail::kVersion) + "\n" +
                     "evaluations " + std::to_string(evaluations()) + " history " +
                     std::to_string(history()) + "\n";
  for (std::size_t k = 0; k < steps_.size(); ++k) {
    const Step& s = steps_[k];
    text += std::to_string(k) + " " + detail::exact_text(s.sigma) + " " +
            std::to_string(s.history) + " " + (s.predicted ? "1" : "0") + " " +
            detail::exact_text(s.relative_residual);
    for (const double c : s.coefficients) text += " " + detail::exact_text(c);
    text += "\n";
  }
  learned::write_archive(path, detail::kArchiveKind, {text});
}

LinearAG LinearAG::load(const std::string& path) {
  namespace detail = linear_ag_detail;
  const std::string payload = learned::read_archive(path, detail::kArchiveKind, "LinearAG model");
  const auto malformed = [&](const std::string& why) {
    return std::runtime_error(path + ": malformed LinearAG model file (" + why + ")");
  };
  std::istringstream lines(payload);
  std::string line;
  if (!std::getline(lines, line) ||
      line != std::string(detail::kMagic) + " " + std::to_string(detail::kVersion))
    throw malformed("expected the first line '" + std::string(detail::kMagic) + " " +
                    std::to_string(detail::kVersion) + "'");
  std::string w1, w2, t1, t2, extra;
  std::int64_t evaluations = 0, history = 0;
  if (!std::getline(lines, line)) throw malformed("no 'evaluations K history h' line");
  {
    std::istringstream head(line);
    head >> w1 >> t1 >> w2 >> t2;
    if (!head || w1 != "evaluations" || w2 != "history" || !detail::parse_int(t1, evaluations) ||
        !detail::parse_int(t2, history) || (head >> extra) || evaluations < 1 ||
        evaluations > (std::int64_t{1} << 24) || history < 0)
      throw malformed("expected 'evaluations K history h', got '" + line + "'");
  }
  std::vector<Step> steps(static_cast<std::size_t>(evaluations));
  for (std::int64_t k = 0; k < evaluations; ++k) {
    if (!std::getline(lines, line))
      throw malformed("step " + std::to_string(k) + " of " + std::to_string(evaluations) +
                      " is missing");
    std::istringstream fields(line);
    std::vector<std::string> tokens;
    for (std::string token; fields >> token;) tokens.push_back(token);
    Step& s = steps[static_cast<std::size_t>(k)];
    std::int64_t index = -1, predicted = -1;
    const bool ok = tokens.size() >= 5 && detail::parse_int(tokens[0], index) && index == k &&
                    detail::parse_double(tokens[1], s.sigma) &&
                    detail::parse_int(tokens[2], s.history) && s.history >= 0 &&
                    s.history <= history && detail::parse_int(tokens[3], predicted) &&
                    (predicted == 0 || predicted == 1) &&
                    detail::parse_double(tokens[4], s.relative_residual) &&
                    tokens.size() == static_cast<std::size_t>(5 + (k == 0 ? 0 : 1 + 2 * s.history));
    if (!ok) throw malformed("bad line for step " + std::to_string(k) + ": '" + line + "'");
    s.predicted = predicted == 1;
    for (std::size_t i = 5; i < tokens.size(); ++i) {
      double c = 0;
      if (!detail::parse_double(tokens[i], c)) throw malformed("bad number '" + tokens[i] + "'");
      s.coefficients.push_back(c);
    }
  }
  if (std::getline(lines, line) && !line.empty()) throw malformed("text after the last step");
  try {
    return LinearAG(std::move(steps));
  } catch (const std::invalid_argument& e) {
    throw malformed(e.what());
  }
}

std::string LinearAG::describe() const {
  std::ostringstream out;
  out << "LinearAG: " << evaluations() << " evaluations, history " << history() << ", "
      << predicted_count() << " predicted\n";
  for (std::size_t k = 0; k < steps_.size(); ++k) {
    const Step& s = steps_[k];
    out << "  k=" << k << " sigma=" << s.sigma << (s.predicted ? " predicted" : " evaluated")
        << " residual=" << s.relative_residual << " coefficients:";
    for (const double c : s.coefficients) out << ' ' << c;
    out << '\n';
  }
  return out.str();
}

}  // namespace deepsolve::diffusion
