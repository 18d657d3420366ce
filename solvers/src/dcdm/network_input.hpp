// The input check at the top of every direction network's forward (DcdmNet, VcycleNet), so that
// both refuse a bad input with the same words.
#pragma once

#include <torch/torch.h>

#include <sstream>
#include <stdexcept>
#include <string>

namespace deepsolve::solvers::dcdm {

/// Throws std::invalid_argument unless x has shape (batch, 1, [nz,] ny, nx) for `dim` and the
/// dtype of `parameter`; `network` names the network in the message (e.g. "DcdmNet").
inline void check_network_input(const std::string& network, int dim, const torch::Tensor& x,
                                const torch::Tensor& parameter) {
  if (!x.defined() || x.dim() != dim + 2 || x.size(1) != 1) {
    std::ostringstream s;
    s << network << " (" << dim << "D): expected an input of shape (batch, 1, "
      << (dim == 3 ? "nz, " : "") << "ny, nx), got ";
    if (x.defined())
      s << x.sizes();
    else
      s << "an undefined tensor";
    throw std::invalid_argument(s.str());
  }
  if (x.scalar_type() != parameter.scalar_type())
    throw std::invalid_argument(network + ": input dtype " + c10::toString(x.scalar_type()) +
                                " differs from the parameters' " +
                                c10::toString(parameter.scalar_type()));
}

}  // namespace deepsolve::solvers::dcdm
