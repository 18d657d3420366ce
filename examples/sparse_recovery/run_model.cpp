// sparse_recovery run: a trained unfolded network (learned::load_model) on the user's Matrix
// Market measurements or on samples of the test stream of its training data, measured layer by
// layer: the mean objective of the network's problem (its penalty and lambda) and, with a truth,
// the NMSE.
#include <torch/torch.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <stdexcept>

#include "commands.hpp"
#include "common/output.hpp"
#include "deepsolve/learned/device.hpp"
#include "deepsolve/learned/io/model_registry.hpp"
#include "deepsolve/learned/settings.hpp"
#include "deepsolve/solvers/matrix_market.hpp"
#include "deepsolve/unfolded/model_types.hpp"
#include "deepsolve/unfolded/synthetic.hpp"
#include "model_evaluation.hpp"
#include "problem_files.hpp"
#include "support.hpp"

namespace sparse_recovery {

namespace {

namespace dl = deepsolve::learned;
namespace du = deepsolve::unfolded;
namespace ex = deepsolve::examples;
using json = nlohmann::json;

/// The problems a network runs on: float64 CPU tensors.
struct Problems {
  torch::Tensor A;  ///< [m, n]
  torch::Tensor y;  ///< [B, m]
  torch::Tensor x;  ///< [B, n], or undefined without a truth
  std::string source;
};

// A metadata value parsed as a number, or `fallback` when the model file does not have it.
double metadata_number(const dl::LoadedModel& model, const std::string& key, double fallback) {
  const auto it = model.metadata.find(key);
  if (it == model.metadata.end()) return fallback;
  try {
    return std::stod(it->second);
  } catch (const std::exception&) {
    throw std::runtime_error("the model file's metadata " + key + " = '" + it->second +
                             "' is not a number");
  }
}

Problems synthetic_problems(const RunOptions& o, const dl::LoadedModel& model,
                            const du::UnfoldedModule& net) {
  du::SyntheticSetup setup;
  setup.measurements = net.measurements();
  setup.signal_size = net.signal_size();
  setup.sparsity =
      std::isnan(o.sparsity) ? metadata_number(model, "data.sparsity", setup.sparsity) : o.sparsity;
  setup.snr_db =
      std::isnan(o.snr_db) ? metadata_number(model, "data.snr_db", setup.snr_db) : o.snr_db;
  setup.seed =
      o.seed_given ? o.seed : static_cast<std::uint64_t>(metadata_number(model, "data.seed", 0));
  const auto redraw = model.metadata.find("data.redraw_matrix");
  setup.redraw_matrix = redraw != model.metadata.end() && redraw->second == "true";

  torch::Tensor matrix;
  std::string matrix_text;
  if (net.fixed_matrix()) {
    // A fixed-matrix network runs on its own A only.
    setup.redraw_matrix = false;
    matrix = net.matrix().to(torch::kFloat64);
    matrix_text = "the network's A";
    if (!o.matrix.empty())
      throw std::invalid_argument("--matrix: the " +
                                  dl::ModelRegistry::instance().type_of(net).name +
                                  " network holds its own A; --synthetic uses it");
  } else if (!o.matrix.empty()) {
    setup.redraw_matrix = false;
    matrix = matrix_to_tensor(read_dense_matrix("--matrix", o.matrix));
    matrix_text = "A from " + o.matrix;
  } else if (model.metadata.count("data.matrix_file")) {
    throw std::invalid_argument("--matrix FILE is required: the model was trained on the A of " +
                                model.metadata.at("data.matrix_file") +
                                ", which the model file does not hold");
  } else {
    matrix_text = setup.redraw_matrix ? "A drawn from seed " + std::to_string(setup.seed)
                                      : "fixed A from seed " + std::to_string(setup.seed);
  }
  const du::SyntheticData data(setup, matrix);
  const du::SparseBatch batch = data.range(0, o.synthetic, du::DataStream::test);
  Problems p{batch.A, batch.y, batch.x, ""};
  p.source = std::to_string(o.synthetic) + " samples of the test stream (sparsity " +
             formatted("%g", setup.sparsity) + ", " + snr_text(setup.snr_db) + ", seed " +
             std::to_string(setup.seed) + ", " + matrix_text + ")";
  return p;
}

Problems file_problems(const RunOptions& o, const du::UnfoldedModule& net) {
  const std::int64_t m = net.measurements(), n = net.signal_size();
  const std::string type = dl::ModelRegistry::instance().type_of(net).name;
  const std::string net_what =
      "the " + type + " network is for " + size_text(m, n) + " problems (m x n)";
  Problems p;
  if (!o.matrix.empty()) {
    const Eigen::MatrixXd A = read_dense_matrix("--matrix", o.matrix);
    if (A.rows() != m || A.cols() != n)
      throw std::invalid_argument("--matrix " + o.matrix + " is " + size_text(A.rows(), A.cols()) +
                                  ": " + net_what);
    p.A = matrix_to_tensor(A);
    if (net.fixed_matrix() && !torch::equal(p.A.to(torch::kFloat32), net.matrix().cpu()))
      throw std::invalid_argument("--matrix " + o.matrix + " is not the A the " + type +
                                  " network holds (it runs on its own A only)");
  } else if (net.fixed_matrix()) {
    p.A = net.matrix().to(torch::kCPU, torch::kFloat64);
  } else {
    throw std::invalid_argument("--matrix FILE is required: the " + type +
                                " network takes A as an input");
  }
  const Eigen::MatrixXd Y = read_columns("--measurements", o.measurements, m, net_what);
  p.y = columns_to_rows(Y);
  if (!o.truth.empty()) {
    const Eigen::MatrixXd X = read_columns("--truth", o.truth, n, net_what, Y.cols(),
                                           "one per problem of --measurements " + o.measurements);
    if (X.squaredNorm() == 0.0)
      throw std::invalid_argument("--truth " + o.truth + " is all zero (the NMSE is undefined)");
    p.x = columns_to_rows(X);
  }
  p.source = o.measurements + " (" + std::to_string(Y.cols()) + " problem" +
             (Y.cols() == 1 ? "" : "s") + ")";
  return p;
}

}  // namespace

void run_command(const RunOptions& o, const std::vector<std::string>& args) {
  if (o.threads > 0) torch::set_num_threads(o.threads);
  du::register_unfolded_networks();
  dl::LoadedModel model;
  try {
    model = dl::load_model(o.model);
  } catch (const std::exception& e) {
    throw std::runtime_error(std::string("--model ") + e.what());
  }
  if (model.type->family != du::kUnfoldedFamily)
    throw std::invalid_argument("--model " + o.model + " holds a " + model.type->name +
                                " network (family " + model.type->family +
                                "), not an unfolded sparse-recovery network");
  auto& net = dynamic_cast<du::UnfoldedModule&>(*model.module);
  const Problems p = o.synthetic > 0 ? synthetic_problems(o, model, net) : file_problems(o, net);

  const torch::Device device(dl::resolve_device(o.device));
  net.to(device);
  net.eval();
  LayerCurve curve;
  torch::Tensor x_T;
  {
    torch::NoGradGuard no_grad;
    const auto start = std::chrono::steady_clock::now();
    const std::vector<torch::Tensor> layers =
        net.forward_layers(p.y.to(device, torch::kFloat32),
                           net.fixed_matrix() ? torch::Tensor() : p.A.to(device, torch::kFloat32));
    std::vector<torch::Tensor> on_cpu;
    for (const torch::Tensor& x : layers) on_cpu.push_back(x.to(torch::kCPU, torch::kFloat64));
    curve.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    for (const torch::Tensor& x : on_cpu) {
      curve.objective.push_back(
          du::objective(net.penalty(), net.lambda(), p.A, p.y, x).mean().item<double>());
      if (p.x.defined()) curve.nmse_db.push_back(du::nmse_db(x, p.x));
    }
    x_T = on_cpu.back();
  }

  const dl::ModelType& type = *model.type;
  json j = layer_curve_json(curve);
  j["command"] = ex::quote_command(args);
  j["model"] = o.model;
  j["model_type"] = type.name;
  j["description"] = type.describe(net);
  j["penalty"] = du::penalty_name(net.penalty());
  j["lambda"] = net.lambda();
  j["layers"] = net.layers();
  j["m"] = net.measurements();
  j["n"] = net.signal_size();
  j["problems"] = p.y.size(0);
  j["objective_of"] = p.y.size(0) == 1 ? "the problem" : "the mean over the problems";
  j["input"] = p.source;
  j["device"] = device.str();

  if (!o.solution.empty())
    deepsolve::solvers::write_matrix_market(o.solution, rows_to_columns(x_T));
  ex::write_json(o.json, j);
  if (!o.quiet) {
    std::printf("%s: %s\non %s\n%s", type.name.c_str(), type.describe(net).c_str(),
                p.source.c_str(), layer_table(curve).c_str());
    std::printf("%lld layers in %.4f s\n", static_cast<long long>(net.layers()), curve.seconds);
    if (!o.solution.empty()) std::printf("wrote %s\n", o.solution.c_str());
    std::printf("wrote %s\n", o.json.c_str());
  }
}

}  // namespace sparse_recovery
