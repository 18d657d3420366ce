// sparse_recovery reproduce: the experiment of Nagahisa, Hayakawa & Iiguni (2025, arXiv
// 2509.01331) on the standard setup of the unfolding literature (LISTA-CPSS, Chen et al. 2018:
// 250 x 500 Gaussian A with unit-norm columns, 10% nonzeros, SNR 40 dB, 16 layers): unfolded ISTA
// and IHT trained with the supervised and the unsupervised loss, LISTA-CPSS and ALISTA as the
// stronger references, and ISTA, FISTA and IHT, all on one test set; then the four findings
// (findings.cpp) and the report (report.cpp).
#include <torch/torch.h>

#include <cctype>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <stdexcept>

#include "commands.hpp"
#include "common/cli.hpp"
#include "deepsolve/learned/atomic_file.hpp"
#include "deepsolve/learned/device.hpp"
#include "deepsolve/learned/io/model_registry.hpp"
#include "deepsolve/learned/settings.hpp"
#include "deepsolve/learned/training/lr_schedule.hpp"
#include "deepsolve/unfolded/iterative.hpp"
#include "deepsolve/unfolded/model_types.hpp"
#include "deepsolve/unfolded/training.hpp"
#include "model_evaluation.hpp"
#include "report.hpp"
#include "reproduction.hpp"
#include "support.hpp"

namespace sparse_recovery {

namespace {

namespace dl = deepsolve::learned;
namespace du = deepsolve::unfolded;
namespace ex = deepsolve::examples;

/// One network to train.
struct NetworkPlan {
  std::string key, label, short_label, type;
  du::TrainingLoss loss;
  double lambda;
  bool incremental;
  std::int64_t epochs_per_layer;
  std::int64_t epochs;
  double lr;
};

std::vector<NetworkPlan> network_plans(const ReproduceOptions& o) {
  using L = du::TrainingLoss;
  const std::int64_t staged = o.reference_epochs_per_layer * o.layers + o.reference_final_epochs;
  const std::int64_t layerwise = o.epochs_per_layer * o.layers + o.final_epochs;
  // Supervised unfolded ISTA trains best as a whole network (layer by layer it stays near the
  // ISTA path: -16.8 dB against -21 dB whole); the unsupervised one and both IHTs train best
  // layer by layer (docs/unfolded.md, "Reproduction").
  return {
      {"unfolded_ista_supervised", "unfolded ISTA (supervised)", "uISTA-sup", "unfolded-ista",
       L::supervised, o.lambda, false, 1, o.epochs, o.lr},
      {"unfolded_ista_unsupervised", "unfolded ISTA (unsupervised)", "uISTA-uns", "unfolded-ista",
       L::unsupervised, o.lambda, true, o.epochs_per_layer, layerwise, o.layerwise_lr},
      {"unfolded_iht_supervised", "unfolded IHT (supervised)", "uIHT-sup", "unfolded-iht",
       L::supervised, o.lambda_l0, true, o.epochs_per_layer, layerwise, o.layerwise_lr},
      {"unfolded_iht_unsupervised", "unfolded IHT (unsupervised)", "uIHT-uns", "unfolded-iht",
       L::unsupervised, o.lambda_l0, true, o.epochs_per_layer, layerwise, o.layerwise_lr},
      {"lista_cpss", "LISTA-CPSS (supervised)", "LISTA-CPSS", "lista-cpss", L::supervised, o.lambda,
       true, o.reference_epochs_per_layer, staged, o.reference_lr},
      {"alista", "ALISTA (supervised)", "ALISTA", "alista", L::supervised, o.lambda, true,
       o.reference_epochs_per_layer, staged, o.alista_lr},
  };
}

// A classical method's curves, t = 0..K, on the test set (and the mismatched one for IHT).
MethodResult classical(du::IterativeMethod method, double lambda, const du::SparseBatch& test,
                       const du::SparseBatch* mismatched, int iterations,
                       const torch::Device& device) {
  du::IterativeOptions options;
  options.method(method).lambda(lambda).iterations(iterations).record_history(true);
  const auto solve = [&](const du::SparseBatch& b) {
    return du::solve_iterative(b.A.to(device), b.y.to(device), options, b.x.to(device));
  };
  MethodResult m;
  m.key = du::method_name(method);
  for (const char c : m.key)
    m.label += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  m.short_label = m.label;
  m.penalty = du::penalty_name(du::penalty_of(method));
  const auto start = std::chrono::steady_clock::now();
  const du::BatchIterativeResult r = solve(test);
  m.eval_seconds = seconds_since(start);
  m.objective = r.history.objective;
  m.nmse_db = r.history.nmse_db;
  if (mismatched) {
    const du::BatchIterativeResult rm = solve(*mismatched);
    m.mismatch_objective = rm.history.objective;
    m.mismatch_nmse_db = rm.history.nmse_db;
  }
  return m;
}

// Curves of layers 1..T with x_0 = 0's values (`start`, a classical method's entry 0 on the same
// test set) in front.
void with_start(std::vector<double>& curve, double start, const std::vector<double>& layers) {
  curve = {start};
  curve.insert(curve.end(), layers.begin(), layers.end());
}

MethodResult train_network(const NetworkPlan& plan, const ReproduceOptions& o,
                           const du::SyntheticData& data, const du::SparseBatch& test,
                           const du::SparseBatch& mismatched, const MethodResult& start_values,
                           const std::string& command) {
  const dl::ModelType& type = dl::ModelRegistry::instance().get(plan.type);
  const dl::ModelOptions options =
      dl::resolve_options(type, {{"measurements", std::to_string(o.measurements)},
                                 {"signal-size", std::to_string(o.signal_size)},
                                 {"layers", std::to_string(o.layers)},
                                 {"lambda", dl::format_number(plan.lambda)}});
  const std::shared_ptr<torch::nn::Module> module = type.build(options);
  auto& net = dynamic_cast<du::UnfoldedModule&>(*module);

  du::UnfoldedTrainingOptions t;
  t.loss(plan.loss)
      .train_size(o.train_size)
      .validation_size(0)
      .epochs(plan.epochs)
      .batch_size(o.batch)
      .learning_rate(plan.lr)
      .lr_schedule(dl::parse_lr_schedule(o.lr_schedule))
      .incremental(plan.incremental)
      .epochs_per_layer(plan.epochs_per_layer)
      .seed(o.seed)
      .device(o.device)
      .print_progress(false);
  const dl::TrainResult trained = du::train_unfolded(net, data, t);

  MethodResult m;
  m.key = plan.key;
  m.label = plan.label;
  m.short_label = plan.short_label;
  m.penalty = du::penalty_name(net.penalty());
  m.network = true;
  m.loss = du::training_loss_name(plan.loss);
  m.model_type = plan.type;
  m.model_file = (std::filesystem::path(o.out) / (plan.key + ".pt")).string();
  m.epochs = trained.epochs;
  m.learning_rate = plan.lr;
  m.incremental = plan.incremental;
  m.train_seconds = trained.run_seconds;
  m.final_train_loss = trained.train_loss;

  std::map<std::string, std::string> metadata = training_metadata(net, data, t, command);
  metadata["epochs"] = std::to_string(trained.epochs);
  metadata["train_loss"] = dl::format_number(trained.train_loss);
  metadata["wall_seconds"] = dl::format_number(trained.run_seconds);
  dl::save_model(m.model_file, net, metadata);

  const LayerCurve matched = evaluate_network(net, test);
  const LayerCurve other = evaluate_network(net, mismatched);
  m.eval_seconds = matched.seconds;
  with_start(m.objective, start_values.objective[0], matched.objective);
  with_start(m.nmse_db, start_values.nmse_db[0], matched.nmse_db);
  with_start(m.mismatch_objective, start_values.mismatch_objective[0], other.objective);
  with_start(m.mismatch_nmse_db, start_values.mismatch_nmse_db[0], other.nmse_db);
  return m;
}

void write(const std::string& path, const std::string& contents) {
  dl::write_file_atomically(path, contents);
  std::printf("wrote %s\n", path.c_str());
}

}  // namespace

void reproduce_command(const ReproduceOptions& o, const std::vector<std::string>& args) {
  const auto start = std::chrono::steady_clock::now();
  if (o.threads > 0) torch::set_num_threads(o.threads);
  du::register_unfolded_networks();
  std::error_code error;
  std::filesystem::create_directories(o.out, error);
  if (error)
    throw std::runtime_error("--out " + o.out + ": cannot create it (" + error.message() + ")");
  const auto in_out = [&](const std::string& name) {
    return (std::filesystem::path(o.out) / name).string();
  };
  // A folder that cannot be written fails now, not after the trainings.
  dl::check_output_path(in_out("summary.json"), "--out");
  const torch::Device device(dl::resolve_device(o.device));

  Reproduction r;
  r.options = o;
  r.command = ex::quote_command(args);
  r.threads = torch::get_num_threads();

  du::SyntheticSetup setup;
  setup.measurements = o.measurements;
  setup.signal_size = o.signal_size;
  setup.sparsity = o.sparsity;
  setup.snr_db = o.snr_db;
  setup.seed = o.seed;
  const du::SyntheticData data(setup);
  du::SyntheticSetup mismatch_setup = setup;
  mismatch_setup.snr_db = o.mismatch_snr_db;
  mismatch_setup.sparsity = o.mismatch_sparsity;
  const du::SyntheticData mismatch_data(mismatch_setup, data.matrix());  // the same A
  const du::SparseBatch test = data.range(0, o.test_size, du::DataStream::test);
  const du::SparseBatch mismatched = mismatch_data.range(0, o.test_size, du::DataStream::test);

  std::printf(
      "reproduce: A %lld x %lld (Gaussian, unit-norm columns, seed %llu), sparsity %g, SNR %g dB, "
      "T = %lld, lambda %g (l1) / %g (l0), %lld test samples, %d threads%s\n",
      static_cast<long long>(o.measurements), static_cast<long long>(o.signal_size),
      static_cast<unsigned long long>(o.seed), o.sparsity, o.snr_db,
      static_cast<long long>(o.layers), o.lambda, o.lambda_l0, static_cast<long long>(o.test_size),
      r.threads, o.quick ? " (--quick)" : "");
  std::fflush(stdout);

  for (const du::IterativeMethod method :
       {du::IterativeMethod::ista, du::IterativeMethod::fista, du::IterativeMethod::iht}) {
    const bool l0 = method == du::IterativeMethod::iht;
    r.methods.push_back(classical(method, l0 ? o.lambda_l0 : o.lambda, test,
                                  l0 ? &mismatched : nullptr, o.classical_iterations, device));
    std::printf("%-5s %d iterations on the test set: %.1f s\n", r.methods.back().label.c_str(),
                o.classical_iterations, r.methods.back().eval_seconds);
    std::fflush(stdout);
  }
  // The networks' x_0 = 0 values: ISTA's (l1) or IHT's (l0) entry 0; the mismatched set's from IHT.
  MethodResult start_l1 = r.method("ista"), start_l0 = r.method("iht");
  start_l1.mismatch_objective = start_l0.mismatch_objective;  // the objective at 0 has no penalty
  start_l1.mismatch_nmse_db = start_l0.mismatch_nmse_db;

  for (const NetworkPlan& plan : network_plans(o)) {
    const MethodResult& start_values = plan.type == "unfolded-iht" ? start_l0 : start_l1;
    r.methods.push_back(train_network(plan, o, data, test, mismatched, start_values, r.command));
    const MethodResult& m = r.methods.back();
    const int T = m.last();
    std::printf("%-30s %lld epochs%s, %.1f s: layer %d NMSE %.2f dB, objective %.6g\n",
                m.label.c_str(), static_cast<long long>(m.epochs),
                plan.incremental ? " (layer by layer, then all)" : "", m.train_seconds, T,
                m.nmse_db[T], m.objective[T]);
    std::fflush(stdout);
  }

  r.findings = evaluate_findings(r);
  r.seconds = seconds_since(start);

  std::printf("\n%s\n%s\n", results_table(r).c_str(), mismatch_table(r).c_str());
  for (const Finding& f : r.findings) std::printf("%s\n", finding_line(f).c_str());
  std::printf("\n");
  for (const MethodResult& m : r.methods)
    if (m.network) std::printf("wrote %s\n", m.model_file.c_str());
  write(in_out("per_layer.csv"), per_layer_csv(r));
#ifdef SPARSE_RECOVERY_PLOTS
  write(in_out("nmse.png"), nmse_plot(r));
  write(in_out("objective_l1.png"), objective_plot(r, "l1"));
  write(in_out("objective_l0.png"), objective_plot(r, "l0"));
  write(in_out("objective_gap_l1.png"), objective_gap_plot(r));
#else
  std::printf("no plots: sparse_recovery was built without libpng and Cairo\n");
#endif
  write(in_out("reproduction.md"), reproduction_markdown(r));
  write(in_out("summary.json"), summary_json(r));
  std::printf("total %.1f s\n", seconds_since(start));
}

}  // namespace sparse_recovery
