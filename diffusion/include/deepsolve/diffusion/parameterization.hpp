// What a denoiser network predicts, expressed once as the preconditioning of Karras et al.,
// "Elucidating the Design Space of Diffusion-Based Generative Models" (EDM, NeurIPS 2022), eq. 7
// and Table 1:  D(x; sigma) = c_skip(sigma) x + c_out(sigma) F(c_in(sigma) x, c_noise(sigma)).
// Every parameterization is trained on the same loss, ||F - (x0 - c_skip x) / c_out||^2 (EDM
// eq. 8 with the weight lambda = 1 / c_out^2 folded in), so one trainer serves them all.
//
// All noise levels are in the variance-exploding convention x = x0 + sigma * n (EDM, k-diffusion):
// a DDPM step t with cumulative alpha_bar_t is sigma_t = sqrt((1 - alpha_bar_t) / alpha_bar_t), and
// the DDPM input x_vp = x / sqrt(1 + sigma^2) is what c_in gives the eps network.
//
//   name      predicts                        c_skip             c_out                  c_in
//   eps       the noise n (DDPM, Ho et al.)   1                  -sigma 1/sqrt(sigma^2+1) x0 the
//   clean sample                0                  1                      1/sqrt(sigma^2+sd^2) v v
//   = (x0 sd^2 - sigma x ...)     sd^2/(s^2+sd^2)    -sigma sd/sqrt(s^2+sd^2) 1/sqrt(sigma^2+sd^2)
//             (Salimans & Ho 2022, in VE form as k-diffusion's VDenoiser)
//   edm       EDM's F                         sd^2/(s^2+sd^2)    sigma sd/sqrt(s^2+sd^2)
//   1/sqrt(sigma^2+sd^2) residual  the residual y - D(y) of a blind 1                  -1 1
//             denoiser (Kadkhodaie et al. 2024; the network sees y itself, not sigma)
// with sd = sigma_data. c_noise(sigma) = ln(sigma) / 4 (EDM) for all but residual (0).
#pragma once

#include <ATen/Tensor.h>

#include <string>
#include <vector>

namespace deepsolve::diffusion {

enum class Prediction { eps, x0, v, edm, residual };

/// "eps", "x0", "v", "edm", "residual".
const char* prediction_name(Prediction prediction);
/// Throws std::invalid_argument "unknown prediction 'x' (known: eps, x0, v, edm, residual)".
Prediction parse_prediction(const std::string& name);
std::vector<std::string> prediction_names();

struct Preconditioning {
  at::Tensor c_skip, c_out, c_in, c_noise;  ///< each of shape [B] like sigma
};

/// The coefficients for one noise level sigma > 0 (the formulas of the table above).
struct PreconditioningAt {
  double c_skip, c_out, c_in, c_noise;
};
PreconditioningAt preconditioning_at(Prediction prediction, double sigma, double sigma_data);

/// The coefficients for noise levels sigma ([B], > 0), in sigma's dtype, each entry by
/// preconditioning_at. Throws std::invalid_argument for sigma_data <= 0.
Preconditioning preconditioning(Prediction prediction, const at::Tensor& sigma, double sigma_data);

}  // namespace deepsolve::diffusion
