// sparse_recovery train: one unfolded network (any type of the model registry's family
// "unfolded-sparse") trained through unfolded::train_unfolded on seeded synthetic data, saved
// with learned::save_model (the training settings and the command line in its metadata), then
// evaluated layer by layer on the test stream next to the classical method of its penalty.
#include <torch/torch.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <stdexcept>

#include "commands.hpp"
#include "common/output.hpp"
#include "deepsolve/learned/io/model_registry.hpp"
#include "deepsolve/learned/settings.hpp"
#include "deepsolve/learned/training/lr_schedule.hpp"
#include "deepsolve/unfolded/iterative.hpp"
#include "deepsolve/unfolded/model_types.hpp"
#include "deepsolve/unfolded/training.hpp"
#include "model_evaluation.hpp"
#include "problem_files.hpp"
#include "support.hpp"

namespace sparse_recovery {

namespace {

namespace dl = deepsolve::learned;
namespace du = deepsolve::unfolded;
namespace ex = deepsolve::examples;
using json = nlohmann::json;

// The network options with m and n from --matrix when it is given (a size given as well must
// agree).
dl::ModelOptions network_options(const TrainOptions& o, const Eigen::MatrixXd& A) {
  dl::ModelOptions given = o.network;
  if (A.size()) {
    const auto agree = [&](const std::string& name, Eigen::Index size) {
      const auto it = given.find(name);
      if (it != given.end() && it->second != std::to_string(size))
        throw std::invalid_argument("--" + name + " " + it->second + " disagrees with --matrix " +
                                    o.matrix + " (" + size_text(A.rows(), A.cols()) + ")");
      given[name] = std::to_string(size);
    };
    agree("measurements", A.rows());
    agree("signal-size", A.cols());
  }
  const dl::ModelType& type = dl::ModelRegistry::instance().get(o.model_type);
  return dl::resolve_options(type, given);
}

}  // namespace

void train_command(const TrainOptions& o, const std::vector<std::string>& args) {
  const auto start = std::chrono::steady_clock::now();
  if (o.threads > 0) torch::set_num_threads(o.threads);
  du::register_unfolded_networks();
  const dl::ModelType& type = dl::ModelRegistry::instance().get(o.model_type);

  Eigen::MatrixXd user_A;
  if (!o.matrix.empty()) user_A = read_dense_matrix("--matrix", o.matrix);
  const dl::ModelOptions options = network_options(o, user_A);
  std::shared_ptr<torch::nn::Module> module;
  try {
    module = type.build(options);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument("the " + o.model_type + " network: " + e.what());
  }
  auto& net = dynamic_cast<du::UnfoldedModule&>(*module);

  du::SyntheticSetup setup;
  setup.measurements = net.measurements();
  setup.signal_size = net.signal_size();
  setup.sparsity = o.sparsity;
  setup.snr_db = o.snr_db;
  setup.seed = o.seed;
  setup.redraw_matrix = o.redraw_matrix;
  const du::SyntheticData data(setup, user_A.size() ? matrix_to_tensor(user_A) : torch::Tensor());

  du::UnfoldedTrainingOptions t;
  t.loss(du::parse_training_loss(o.loss, "--loss"))
      .train_size(o.train_size)
      .fresh_samples(!o.fixed_samples)
      .validation_size(o.validation_size)
      .epochs(o.epochs)
      .batch_size(o.batch)
      .learning_rate(o.lr)
      .lr_schedule(dl::parse_lr_schedule(o.lr_schedule))
      .incremental(o.incremental)
      .epochs_per_layer(o.epochs_per_layer)
      .seed(o.seed)
      .device(o.device)
      .checkpoint(o.checkpoint)
      .checkpoint_every(o.checkpoint_every)
      .resume(o.resume)
      .log(o.log)
      .print_progress(!o.quiet)
      .patience(o.patience);

  const std::string matrix_text =
      o.redraw_matrix ? "A redrawn for every batch"
                      : (o.matrix.empty() ? "fixed A from seed " + std::to_string(o.seed)
                                          : "fixed A from " + o.matrix);
  if (!o.quiet) {
    std::printf("%s: %s\n", o.model_type.c_str(), type.describe(net).c_str());
    std::printf("data: %lld x %lld, sparsity %s, %s, %s\n",
                static_cast<long long>(setup.measurements),
                static_cast<long long>(setup.signal_size), formatted("%g", o.sparsity).c_str(),
                snr_text(o.snr_db).c_str(), matrix_text.c_str());
    std::printf(
        "training: %s loss, %lld epochs of %lld samples%s, batch %lld, Adam lr %s (%s)%s\n",
        o.loss.c_str(), static_cast<long long>(o.epochs), static_cast<long long>(o.train_size),
        o.fixed_samples ? " (the same)" : "", static_cast<long long>(o.batch),
        dl::format_number(o.lr).c_str(), o.lr_schedule.c_str(),
        o.incremental
            ? (", incremental (" + std::to_string(o.epochs_per_layer) + " epochs per layer)")
                  .c_str()
            : "");
    std::fflush(stdout);
  }
  const dl::TrainResult result = du::train_unfolded(net, data, t);

  // The metadata: the settings a resume checks, what the run did, and how to run it again.
  std::map<std::string, std::string> metadata =
      training_metadata(net, data, t, ex::quote_command(args));
  metadata["epochs"] = std::to_string(result.epochs);
  metadata["steps"] = std::to_string(result.steps);
  metadata["train_loss"] = dl::format_number(result.train_loss);
  metadata["validation_loss"] = dl::format_number(result.validation_loss);
  metadata["wall_seconds"] = dl::format_number(result.state.wall_seconds);
  metadata["device"] = o.device;
  metadata["threads"] = std::to_string(torch::get_num_threads());
  if (!o.matrix.empty()) metadata["data.matrix_file"] = o.matrix;
  dl::save_model(o.out, net, metadata);
  if (!o.quiet)
    std::printf("saved %s: %lld epochs, train loss %.6g, validation loss %.6g, %.1f s\n",
                o.out.c_str(), static_cast<long long>(result.epochs), result.train_loss,
                result.validation_loss, result.run_seconds);

  json j = {{"command", ex::quote_command(args)},
            {"model", o.out},
            {"model_type", o.model_type},
            {"description", type.describe(net)},
            {"network_options", options},
            {"penalty", du::penalty_name(net.penalty())},
            {"lambda", net.lambda()},
            {"loss", o.loss},
            {"incremental", o.incremental},
            {"epochs_per_layer", o.epochs_per_layer},
            {"epochs", result.epochs},
            {"steps", result.steps},
            {"batch", o.batch},
            {"train_size", o.train_size},
            {"fresh_samples", !o.fixed_samples},
            {"validation_size", o.validation_size},
            {"lr", o.lr},
            {"lr_schedule", o.lr_schedule},
            {"train_loss", result.train_loss},
            {"validation_loss", result.validation_loss},
            {"training_time_s", result.run_seconds},
            {"data",
             {{"m", setup.measurements},
              {"n", setup.signal_size},
              {"sparsity", o.sparsity},
              {"snr_db", o.snr_db},
              {"seed", o.seed},
              {"redraw_matrix", o.redraw_matrix},
              {"matrix", o.matrix}}}};

  if (o.test_size > 0) {
    const du::SparseBatch test = data.range(0, o.test_size, du::DataStream::test);
    const LayerCurve curve = evaluate_network(net, test);
    const ClassicalPoint classical =
        classical_at(net.penalty(), net.lambda(), test, static_cast<int>(net.layers()));
    j["test"] = layer_curve_json(curve);
    j["test"]["samples"] = o.test_size;
    j["test"]["classical"] = {{"method", classical.method},
                              {"iterations", classical.iterations},
                              {"objective", classical.objective},
                              {"nmse_db", classical.nmse_db}};
    // The same top-level fields as run's JSON, for the test set.
    j["objective"] = curve.objective.back();
    j["nmse_db"] = curve.nmse_db.back();
    j["iterations"] = net.layers();
    j["history"] = j["test"]["history"];
    if (!o.quiet) {
      std::printf("test (%lld samples of the test stream):\n%s",
                  static_cast<long long>(o.test_size), layer_table(curve).c_str());
      std::printf("%s after %d iterations: NMSE %.2f dB, objective %.6g\n",
                  classical.method.c_str(), classical.iterations, classical.nmse_db,
                  classical.objective);
    }
  }
  j["time_s"] = seconds_since(start);
  if (!o.json.empty()) {
    ex::write_json(o.json, j);
    if (!o.quiet) std::printf("wrote %s\n", o.json.c_str());
  }
}

}  // namespace sparse_recovery
