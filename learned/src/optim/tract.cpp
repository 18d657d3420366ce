#include "deepsolve/learned/optim/tract.hpp"

#include <torch/torch.h>

#include <stdexcept>

#include "../losses/checks.hpp"
#include "deepsolve/learned/optim/optimizer_util.hpp"

namespace deepsolve::learned {

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

std::vector<int64_t> to_vector(const torch::ExpandingArray<2>& a) {
  const c10::ArrayRef<int64_t> r = a;
  return r.vec();
}

at::Tensor bias_or_empty(const at::Tensor& bias, const at::Tensor& weight) {
  return bias.defined() ? bias : torch::empty({0}, weight.options().requires_grad(false));
}

at::Tensor eye_scaled(std::int64_t n, double lambda, const at::Tensor& like) {
  return torch::eye(n, like.options()) * lambda;
}

// (X, G) rows -> grad W*; see the header.
at::Tensor weight_gradient(const at::Tensor& inputs, const at::Tensor& output_grads, double lambda,
                           TrActBranch branch) {
  const at::Tensor x = inputs.to(torch::kFloat64);
  const at::Tensor g = output_grads.to(torch::kFloat64);
  const std::int64_t b = x.size(0), n = x.size(1);
  const auto rows = static_cast<double>(b);
  if (branch == TrActBranch::automatic)
    branch = b < n ? TrActBranch::woodbury : TrActBranch::direct;
  at::Tensor result;
  if (branch == TrActBranch::direct) {
    const at::Tensor m = x.t().matmul(x) / rows + eye_scaled(n, lambda, x);  // n x n
    const at::Tensor r = g.t().matmul(x);                                    // m x n
    // r m^{-1} = (m^{-1} r^T)^T, m symmetric positive definite.
    result = torch::cholesky_solve(r.t(), torch::linalg_cholesky(m)).t();
  } else {
    const at::Tensor k = x.matmul(x.t()) / rows + eye_scaled(b, lambda, x);  // b x b
    result = g.t().matmul(torch::cholesky_solve(x, torch::linalg_cholesky(k)));
  }
  return result.to(output_grads.scalar_type());
}

struct TrActLinearFunction : public torch::autograd::Function<TrActLinearFunction> {
  static at::Tensor forward(AutogradContext* ctx, at::Tensor input, at::Tensor weight,
                            at::Tensor bias, bool has_bias, double lambda, int64_t branch) {
    ctx->save_for_backward({input, weight});
    ctx->saved_data["lambda"] = lambda;
    ctx->saved_data["branch"] = branch;
    ctx->saved_data["has_bias"] = has_bias;
    return torch::nn::functional::linear(input, weight, has_bias ? bias : at::Tensor());
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const at::Tensor& input = saved[0];
    const at::Tensor& weight = saved[1];
    const at::Tensor g = grads[0];
    const std::int64_t n = weight.size(1), m = weight.size(0);
    at::Tensor grad_input, grad_weight, grad_bias;
    if (ctx->needs_input_grad(0)) grad_input = g.matmul(weight);
    const at::Tensor g2 = g.reshape({-1, m});
    if (ctx->needs_input_grad(1))
      grad_weight =
          weight_gradient(input.reshape({-1, n}), g2, ctx->saved_data["lambda"].toDouble(),
                          static_cast<TrActBranch>(ctx->saved_data["branch"].toInt()));
    if (ctx->saved_data["has_bias"].toBool() && ctx->needs_input_grad(2)) grad_bias = g2.sum(0);
    return {grad_input, grad_weight, grad_bias, at::Tensor(), at::Tensor(), at::Tensor()};
  }
};

struct TrActConv2dFunction : public torch::autograd::Function<TrActConv2dFunction> {
  static at::Tensor forward(AutogradContext* ctx, at::Tensor input, at::Tensor weight,
                            at::Tensor bias, bool has_bias, double lambda, int64_t branch,
                            std::vector<int64_t> stride, std::vector<int64_t> padding,
                            std::vector<int64_t> dilation) {
    ctx->save_for_backward({input, weight});
    ctx->saved_data["lambda"] = lambda;
    ctx->saved_data["branch"] = branch;
    ctx->saved_data["has_bias"] = has_bias;
    ctx->saved_data["stride"] = stride;
    ctx->saved_data["padding"] = padding;
    ctx->saved_data["dilation"] = dilation;
    return torch::conv2d(input, weight, has_bias ? bias : at::Tensor(), stride, padding, dilation,
                         1);
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const at::Tensor& input = saved[0];
    const at::Tensor& weight = saved[1];
    const at::Tensor g = grads[0].contiguous();
    const auto stride = ctx->saved_data["stride"].toIntVector();
    const auto padding = ctx->saved_data["padding"].toIntVector();
    const auto dilation = ctx->saved_data["dilation"].toIntVector();
    const bool has_bias = ctx->saved_data["has_bias"].toBool();
    const std::vector<int64_t> bias_sizes{weight.size(0)};
    // The plain input and bias gradients.
    auto plain = at::convolution_backward(
        g, input, weight, has_bias ? at::OptionalIntArrayRef(bias_sizes) : c10::nullopt, stride,
        padding, dilation, /*transposed=*/false, /*output_padding=*/{0, 0}, /*groups=*/1,
        {ctx->needs_input_grad(0), false, has_bias && ctx->needs_input_grad(2)});
    at::Tensor grad_weight;
    if (ctx->needs_input_grad(1)) {
      namespace F = torch::nn::functional;
      const std::int64_t out = weight.size(0), kh = weight.size(2), kw = weight.size(3);
      const at::Tensor patches =
          F::unfold(input, F::UnfoldFuncOptions({kh, kw})
                               .stride({stride[0], stride[1]})
                               .padding({padding[0], padding[1]})
                               .dilation({dilation[0], dilation[1]}));  // (B, C kh kw, L)
      const at::Tensor x = patches.transpose(1, 2).reshape({-1, patches.size(1)});
      const at::Tensor g2 = g.reshape({g.size(0), out, -1}).transpose(1, 2).reshape({-1, out});
      grad_weight = weight_gradient(x, g2, ctx->saved_data["lambda"].toDouble(),
                                    static_cast<TrActBranch>(ctx->saved_data["branch"].toInt()))
                        .reshape(weight.sizes());
    }
    // One entry per forward argument: input, weight, bias, then six non-tensors.
    variable_list out{std::get<0>(plain), grad_weight, std::get<2>(plain)};
    out.resize(9);
    return out;
  }
};

}  // namespace

at::Tensor tract_weight_gradient(const at::Tensor& inputs, const at::Tensor& output_grads,
                                 double lambda, TrActBranch branch) {
  require_positive("tract", "lambda", lambda);
  if (!inputs.defined() || !output_grads.defined() || inputs.dim() != 2 ||
      output_grads.dim() != 2 || inputs.size(0) != output_grads.size(0))
    throw std::invalid_argument(
        "tract_weight_gradient: inputs (b, n) and output gradients "
        "(b, m) must have the same rows, got " +
        detail::shape(inputs) + " and " + detail::shape(output_grads));
  return weight_gradient(inputs, output_grads, lambda, branch);
}

at::Tensor tract_linear(const at::Tensor& input, const at::Tensor& weight, const at::Tensor& bias,
                        double lambda, TrActBranch branch) {
  require_positive("tract_linear", "lambda", lambda);
  if (weight.dim() != 2 || input.dim() < 1 || input.size(-1) != weight.size(1))
    throw std::invalid_argument("tract_linear: input " + detail::shape(input) +
                                " does not fit the weight " + detail::shape(weight) +
                                " (expected (..., n) and (m, n))");
  if (bias.defined() && (bias.dim() != 1 || bias.size(0) != weight.size(0)))
    throw std::invalid_argument("tract_linear: bias " + detail::shape(bias) +
                                " does not fit the weight " + detail::shape(weight));
  // Custom functions of LibTorch 1.13 take no undefined tensors: an empty stand-in for no bias.
  return TrActLinearFunction::apply(input, weight, bias_or_empty(bias, weight), bias.defined(),
                                    lambda, static_cast<int64_t>(branch));
}

at::Tensor tract_conv2d(const at::Tensor& input, const at::Tensor& weight, const at::Tensor& bias,
                        double lambda, torch::ExpandingArray<2> stride,
                        torch::ExpandingArray<2> padding, torch::ExpandingArray<2> dilation,
                        TrActBranch branch) {
  require_positive("tract_conv2d", "lambda", lambda);
  if (input.dim() != 4 || weight.dim() != 4 || input.size(1) != weight.size(1))
    throw std::invalid_argument("tract_conv2d: input " + detail::shape(input) +
                                " does not fit the weight " + detail::shape(weight) +
                                " (expected (B, C, H, W) and (O, C, kh, kw); groups must be 1)");
  if (bias.defined() && (bias.dim() != 1 || bias.size(0) != weight.size(0)))
    throw std::invalid_argument("tract_conv2d: bias " + detail::shape(bias) +
                                " does not fit the weight " + detail::shape(weight));
  return TrActConv2dFunction::apply(input, weight, bias_or_empty(bias, weight), bias.defined(),
                                    lambda, static_cast<int64_t>(branch), to_vector(stride),
                                    to_vector(padding), to_vector(dilation));
}

}  // namespace deepsolve::learned
