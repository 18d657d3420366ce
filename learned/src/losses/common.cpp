#include "deepsolve/learned/losses/common.hpp"

#include <torch/torch.h>

#include <cmath>
#include <iomanip>
#include <limits>
#include <sstream>

#include "checks.hpp"

namespace deepsolve::learned {

std::string reduction_name(const LossReduction& reduction) {
  switch (torch::enumtype::reduction_get_enum(reduction)) {
    case at::Reduction::None:
      return "none";
    case at::Reduction::Mean:
      return "mean";
    case at::Reduction::Sum:
      return "sum";
    default:
      return "?";
  }
}

LossReduction reduction_from_name(const std::string& name) {
  if (name == "none") return torch::kNone;
  if (name == "mean") return torch::kMean;
  if (name == "sum") return torch::kSum;
  throw std::invalid_argument("unknown reduction '" + name + "' (valid: none, mean, sum)");
}

at::Tensor reduce_loss(const at::Tensor& losses, const LossReduction& reduction) {
  switch (torch::enumtype::reduction_get_enum(reduction)) {
    case at::Reduction::None:
      return losses;
    case at::Reduction::Mean:
      return losses.mean();
    case at::Reduction::Sum:
      return losses.sum();
    default:
      throw std::invalid_argument("unknown reduction");
  }
}

namespace detail {

std::string shape(const at::Tensor& t) {
  if (!t.defined()) return "undefined";
  std::ostringstream s;
  s << t.sizes();
  return s.str();
}

at::Tensor row_normalized(const at::Tensor& z, double eps) {
  return z / z.norm(2, 1, /*keepdim=*/true).clamp_min(eps);
}

std::string describe(const at::Tensor& t) {
  if (!t.defined()) return "undefined";
  std::ostringstream s;
  s << t.sizes() << ' ' << t.scalar_type();
  return s.str();
}

std::string number(double v) {
  if (!std::isfinite(v)) return std::isnan(v) ? "nan" : (v > 0 ? "inf" : "-inf");
  // The shortest form that reads back as the same double.
  for (int digits = 1; digits < 17; ++digits) {
    std::ostringstream t;
    t << std::setprecision(digits) << v;
    if (std::stod(t.str()) == v) return t.str();
  }
  std::ostringstream t;
  t << std::setprecision(17) << v;
  return t.str();
}

void require_positive(const char* loss, const char* name, double value) {
  if (!(value > 0) || !std::isfinite(value))
    fail(std::string(loss) + ": " + name + " must be > 0 and finite, got " + number(value));
}

void require_nonnegative(const char* loss, const char* name, double value) {
  if (!(value >= 0) || !std::isfinite(value))
    fail(std::string(loss) + ": " + name + " must be >= 0 and finite, got " + number(value));
}

void require_floating(const char* loss, const char* name, const at::Tensor& t) {
  if (!t.defined()) fail(std::string(loss) + ": " + name + " is an undefined tensor");
  if (!t.is_floating_point())
    fail(std::string(loss) + ": " + name + " must be a floating-point tensor, got " + describe(t));
}

at::Tensor class_indices(const char* loss, const at::Tensor& target, std::int64_t n,
                         std::int64_t classes) {
  if (!target.defined()) fail(std::string(loss) + ": target is an undefined tensor");
  if (target.is_floating_point() || target.is_complex() || target.scalar_type() == at::kBool)
    fail(std::string(loss) + ": class targets must be an integer tensor, got " + describe(target));
  if (target.dim() != 1 || target.size(0) != n)
    fail(std::string(loss) + ": target must have shape [" + std::to_string(n) +
         "] (one class index per sample), got " + describe(target));
  at::Tensor t = target.to(at::kLong);
  if (n > 0) {
    const std::int64_t lo = t.min().item<std::int64_t>();
    const std::int64_t hi = t.max().item<std::int64_t>();
    if (lo < 0 || hi >= classes)
      fail(std::string(loss) + ": class index " + std::to_string(lo < 0 ? lo : hi) +
           " is out of range [0, " + std::to_string(classes) + ")");
  }
  return t;
}

at::Tensor binary_labels(const char* loss, const at::Tensor& target, const at::Tensor& like,
                         const char* like_name) {
  if (!target.defined()) fail(std::string(loss) + ": target is an undefined tensor");
  if (target.sizes() != like.sizes())
    fail(std::string(loss) + ": target " + describe(target) + " does not match " + like_name + " " +
         describe(like) + " in shape");
  at::Tensor y = target.to(like.device(), at::kDouble);
  if (y.numel() > 0 && !((y == 0) | (y == 1)).all().item<bool>())
    fail(std::string(loss) + ": binary labels must be 0 or 1, found " +
         number(y.masked_select((y != 0) & (y != 1))[0].item<double>()));
  return y;
}

}  // namespace detail
}  // namespace deepsolve::learned
