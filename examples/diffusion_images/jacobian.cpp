// diffusion_images jacobian: the Jacobian of a trained denoiser at a noisy image y = x + sigma n
// (x an image the model did not train on, by default), as in Kadkhodaie et al. (ICLR 2024): its
// effective dimension tr J, the leading eigenvalues and eigenvectors of its symmetric part (PNG),
// its asymmetry and, for a bias-free model, D(y) = J y.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "commands.hpp"
#include "common/cli.hpp"
#include "common/output.hpp"
#include "deepsolve/diffusion/denoiser_file.hpp"
#include "deepsolve/diffusion/jacobian.hpp"
#include "deepsolve/learned/atomic_file.hpp"
#include "models.hpp"
#include "pictures.hpp"

namespace diffusion_images {
namespace jacobian_cli {

namespace ex = deepsolve::examples;
using json = nlohmann::json;

const char* const kFooter = R"(
The clean image x is image --image of the model's data class (default: the first image after
its training range, one it never saw), y = x + sigma n with n seeded by --noise-seed. J is the
Jacobian of D(.; sigma) at y, never formed: tr J exactly from one VJP per pixel (Hutchinson with
--probes Rademacher vectors above 4096 pixels), the eigenpairs of (J + J^T)/2 by Lanczos
(--lanczos-steps JVP + VJP pairs), the asymmetry ||J - J^T||_F / ||J||_F from 8 Gaussian probes,
and ||J y - D(y)|| / ||D(y)|| (0 for a bias-free network).

Writes into --out: eigenvectors.png (the eigenvectors, largest eigenvalue first, mid-grey = 0),
images.png (x, y, D(y)) and jacobian.json (eigenvalues, residual bounds, effective dimension and
its method, asymmetry, homogeneity error, and tr J at each of --trace-sigmas).

Examples:
  diffusion_images jacobian --model calpha.model --sigma 0.1 --eigenvectors 16 --out jac
  diffusion_images jacobian --model calpha.model --sigma 0.1 --trace-sigmas 0.02,0.05,0.1,0.2,0.5 --out jac)";

struct Options {
  std::string model, out, trace_sigmas;
  double sigma = 0.1;
  long long eigenvectors = 8, lanczos_steps = 48, probes = 128;
  std::optional<long long> image;
  long long noise_seed = 0;
  int threads = 0;
  std::vector<double> sigmas;
};

double parse_sigma(const std::string& option, const std::string& text) {
  try {
    std::size_t used = 0;
    const double v = std::stod(text, &used);
    if (used == text.size() && v > 0 && std::isfinite(v)) return v;
  } catch (const std::exception&) {
  }
  throw std::invalid_argument(option + ": '" + text + "' is not a positive number");
}

Options parse_options(const std::vector<std::string>& args, bool& help) {
  Options o;
  CLI::App app{"diffusion_images jacobian: the Jacobian of a denoiser at a noisy image",
               "diffusion_images jacobian"};
  ex::setup_app(app, 30, kFooter);
  app.add_option("--model", o.model, "a model written by train")->required();
  app.add_option("--sigma", o.sigma, "the noise level of y")->capture_default_str();
  app.add_option("--eigenvectors", o.eigenvectors, "K: leading eigenpairs")->capture_default_str();
  app.add_option("--lanczos-steps", o.lanczos_steps, "Lanczos steps (>= K)")->capture_default_str();
  app.add_option("--probes", o.probes, "Hutchinson probes (above 4096 pixels)")
      ->capture_default_str();
  app.add_option("--image", o.image, "the clean image's index in the data class");
  app.add_option("--noise-seed", o.noise_seed, "the seed of n")->capture_default_str();
  app.add_option("--trace-sigmas", o.trace_sigmas, "also tr J at these noise levels (a,b,...)");
  app.add_option("--threads", o.threads, "intra-op threads (0: LibTorch's default)");
  app.add_option("--out", o.out, "the folder for the PNG and JSON files")->required();
  const std::string help_text = ex::parse(app, args);
  help = !help_text.empty();
  if (help) {
    std::fputs(help_text.c_str(), stdout);
    return o;
  }
  ex::check_positive_finite("--sigma", o.sigma);
  ex::check_at_least("--eigenvectors", o.eigenvectors, 1);
  ex::check(o.lanczos_steps >= o.eigenvectors, "--lanczos-steps must be at least --eigenvectors (" +
                                                   std::to_string(o.eigenvectors) + "), got " +
                                                   std::to_string(o.lanczos_steps));
  ex::check_at_least("--probes", o.probes, 2);
  if (o.image) ex::check_non_negative("--image", *o.image);
  ex::check_non_negative("--noise-seed", o.noise_seed);
  ex::check_non_negative("--threads", o.threads);
  for (const std::string& s : ex::split_list(o.trace_sigmas, true))
    o.sigmas.push_back(parse_sigma("--trace-sigmas", s));
  ex::check(!o.out.empty(), "--out: the folder name is empty");
  return o;
}

json trace_json(const deepsolve::diffusion::TraceEstimate& t) {
  return {{"value", t.value},
          {"standard_error", t.standard_error},
          {"method", t.method},
          {"products", t.products}};
}

}  // namespace jacobian_cli

void jacobian_command(const std::vector<std::string>& args) {
  using namespace jacobian_cli;
  namespace dd = deepsolve::diffusion;
  bool help = false;
  const Options o = parse_options(args, help);
  if (help) return;
  if (o.threads > 0) at::set_num_threads(o.threads);
  const auto loaded = dd::load_denoiser(o.model);
  loaded.denoiser.network().eval();
  DataSpec data = data_from_metadata(loaded.metadata, o.model);
  data.first = o.image ? *o.image : data.first + data.count;
  data.count = 1;

  std::error_code error;
  std::filesystem::create_directories(o.out, error);
  if (error)
    throw std::runtime_error("--out " + o.out + ": cannot create it (" + error.message() + ")");
  const auto in_out = [&](const std::string& name) {
    return (std::filesystem::path(o.out) / name).string();
  };
  deepsolve::learned::check_output_path(in_out("jacobian.json"), "--out");

  const auto start = std::chrono::steady_clock::now();
  const at::Tensor x = load_images(data)[0].to(at::kDouble);
  const at::Tensor n = at::randn(x.sizes(), at::make_generator<at::CPUGeneratorImpl>(o.noise_seed),
                                 at::TensorOptions().dtype(at::kDouble));
  const at::Tensor y = x + o.sigma * n;
  const dd::DenoiserJacobian jac(loaded.denoiser, y, o.sigma);
  const dd::TraceEstimate trace = dd::effective_dimension(jac, dd::TraceOptions().probes(o.probes));
  const dd::JacobianSpectrum spectrum = dd::jacobian_eigen(
      jac, dd::JacobianEigenOptions().count(o.eigenvectors).lanczos_steps(o.lanczos_steps));
  const double homogeneity = dd::homogeneity_error(jac);
  const double mse_noisy = (y - x).pow(2).mean().item<double>();
  const double mse_denoised = (jac.value() - x).pow(2).mean().item<double>();

  std::printf("diffusion_images jacobian: %s image %lld, sigma %g, %lld pixels\n",
              data.data.c_str(), static_cast<long long>(data.first), o.sigma,
              static_cast<long long>(jac.dimension()));
  std::printf(
      "effective dimension tr J = %.4f (%s%s)\n", trace.value, trace.method.c_str(),
      trace.method == "exact" ? "" : (", +- " + ex::format_number(trace.standard_error)).c_str());
  std::printf("leading eigenvalues of (J + J^T)/2:");
  for (double v : spectrum.eigenvalues) std::printf(" %.4f", v);
  std::printf(
      "\nasymmetry ||J - J^T|| / ||J|| = %.4f; ||J y - D(y)|| / ||D(y)|| = %.3g; "
      "MSE noisy %.5g, denoised %.5g\n",
      spectrum.asymmetry, homogeneity, mse_noisy, mse_denoised);

  json j;
  j["command"] = deepsolve::examples::command_record(args);
  j["model"] = o.model;
  j["data"] = data.data;
  j["image"] = data.first;
  j["sigma"] = o.sigma;
  j["pixels"] = jac.dimension();
  j["jvp_method"] = dd::jvp_method_name(jac.jvp_method_used());
  j["effective_dimension"] = trace_json(trace);
  j["eigenvalues"] = spectrum.eigenvalues;
  j["residual_bounds"] = spectrum.residual_bounds;
  j["lanczos_steps"] = spectrum.lanczos_steps;
  j["asymmetry"] = spectrum.asymmetry;
  j["homogeneity_error"] = homogeneity;
  j["mse_noisy"] = mse_noisy;
  j["mse_denoised"] = mse_denoised;
  if (!o.sigmas.empty()) {
    j["trace_by_sigma"] = json::array();
    std::printf("tr J by sigma:");
    for (double s : o.sigmas) {
      const dd::DenoiserJacobian at_s(loaded.denoiser, x + s * n, s);
      const dd::TraceEstimate t =
          dd::effective_dimension(at_s, dd::TraceOptions().probes(o.probes));
      json r = trace_json(t);
      r["sigma"] = s;
      j["trace_by_sigma"].push_back(r);
      std::printf(" %g: %.3f", s, t.value);
    }
    std::printf("\n");
  }
  j["time_s"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  GridStyle vectors;
  vectors.signed_values = true;
  write_grid(in_out("eigenvectors.png"), spectrum.eigenvectors, vectors);
  GridStyle pictures;
  write_grid(in_out("images.png"), at::stack({x, y, jac.value()}, 0), pictures);
  ex::write_json(in_out("jacobian.json"), j);
  std::printf("wrote %s, %s, %s\n", in_out("eigenvectors.png").c_str(),
              in_out("images.png").c_str(), in_out("jacobian.json").c_str());
}

}  // namespace diffusion_images
