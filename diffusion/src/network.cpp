#include "deepsolve/diffusion/network.hpp"

#include <sstream>
#include <stdexcept>

namespace deepsolve::diffusion {

std::string shape_text(const std::vector<std::int64_t>& shape) {
  std::string text = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) text += (i ? ", " : "") + std::to_string(shape[i]);
  return text + "]";
}

std::string number_text(double v) {
  std::ostringstream s;
  s << v;
  return s.str();
}

void check_sample_batch(const at::Tensor& x, const std::vector<std::int64_t>& sample_shape,
                        const std::string& what) {
  std::vector<std::int64_t> expected = {-1};
  expected.insert(expected.end(), sample_shape.begin(), sample_shape.end());
  bool ok = x.defined() && x.dim() == static_cast<std::int64_t>(expected.size()) && x.size(0) >= 1;
  for (std::size_t d = 1; ok && d < expected.size(); ++d)
    ok = x.size(static_cast<std::int64_t>(d)) == expected[d];
  if (!ok) {
    const std::string given = x.defined() ? shape_text(x.sizes().vec()) : "an undefined tensor";
    throw std::invalid_argument(what + ": expected a batch of shape [B, " +
                                shape_text(sample_shape).substr(1) + " with B >= 1, got " + given);
  }
}

}  // namespace deepsolve::diffusion
