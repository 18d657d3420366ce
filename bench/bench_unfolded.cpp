// bench_unfolded: the benchmarks of the unfolded networks (deepsolve::unfolded) on the standard
// sparse-recovery setup (250 x 500 Gaussian A with unit-norm columns, Bernoulli-Gaussian signals
// with 10% nonzeros, SNR 40 dB; LISTA-CPSS, Chen et al. NeurIPS 2018; ALISTA, Liu et al. ICLR
// 2019), in two parts.
//
// --part inference (the default): batched inference per call in C++, and everything
// bench/unfolded_inference.py needs to run the same networks from PyTorch in Python on the same
// input, CPU and thread count (the "C++ no slower than PyTorch from Python"):
//
//   bench_unfolded --json results/u.json [--tensors results/u.pt] [--threads 1] [--reps 3]
//                  [--problems 10000] [--types unfolded-ista,lista-cpss,alista]
//                  [--models DIR | --model-<role> FILE ...] [--measurements 250]
//                  [--signal-size 500] [--layers 16] [--sparsity 0.1] [--snr 40] [--seed 1]
//
// Each network of --types runs on --problems test samples y [B, m] (float32) of its data; the
// matrix-input unfolded ISTA gets the batch's A as a shared [m, n] input. Its weights are a
// trained model's when one of its type is given (see "Models" below), otherwise a fresh network
// initialised from the seeded A of the data options (initialise(A): the classical method's
// values; the time does not depend on them). What is timed is forward(y, A) under NoGradGuard
// with torch::set_num_threads(--threads): one warm-up call, then --reps calls each timed on its
// own. For where the time goes, one layer's pieces are timed alone on the same batch: the two
// matrix products, the threshold and the support selection. --tensors (default: --json with
// ".pt" for ".json") is written with torch::pickle_save as one dict of tensors: for network
// "<type>", "<type>/y", "<type>/A", "<type>/output" (x_T) and "<type>/param/<name>" for every
// parameter and buffer.
//
// --part trained: what trained models reach on --problems test samples of the seeded setup they
// were trained on (from the model's metadata, data.* keys as the training writes them; the data
// options above fill in what the metadata lacks, and override it when given):
//   - NMSE and mean objective at every layer (evaluate_layers);
//   - against FISTA (torch batch path, float32, same threads, step 1/L): the FISTA iterations
//     whose NMSE (of the whole batch) first reaches the network's at layer T, and the time of
//     FISTA for exactly that many iterations next to the network's forward. FISTA's lambda is
//     the one of --fista-lambdas (and, for unfolded ISTA, the network's own) that reaches it in
//     the fewest iterations on the first --fista-select-problems problems; when none does within
//     --fista-cap iterations (or FISTA has converged, relative change <= --fista-tolerance, above
//     it), that is reported and the ratio is an upper bound. FISTA runs longer than
//     --fista-time-max iterations are timed over that many and scaled (its iterations cost the
//     same: dense products and elementwise operations);
//   - for unfolded ISTA: the mean objective of FISTA after --reference-iterations iterations
//     (float64, the network's lambda) and the network's relative gap to it.
//
//   bench_unfolded --part trained --models DIR --json results/t.json [--threads 1] [--reps 3]
//                  [--problems 10000] [--fista-cap 5000] [--fista-lambdas 0.001,0.002,...]
//                  [--fista-select-problems 500] [--fista-tolerance 1e-6]
//                  [--fista-time-max 1000] [--reference-iterations 200]
//
// Models: --models DIR loads every *.pt file of DIR whose registered type is an unfolded network
// (family "unfolded-sparse") and gives it a role from its type and training loss (metadata key
// "loss", else "unsup"/"sup" in the file name): ista-unsup, ista-sup, iht-unsup, iht-sup, lista,
// lista-cpss, alista. --model-<role> FILE names one explicitly (and wins over DIR). Two files of
// one role in DIR are an error naming both.
//
// Benchmarks measure and report; they do not assert. The --json file holds the machine, its load
// average at the start and at the end, and the command line.
#include <sys/resource.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "common.hpp"
#include "deepsolve/learned/atomic_file.hpp"
#include "deepsolve/learned/io/model_registry.hpp"
#include "deepsolve/unfolded/iterative.hpp"
#include "deepsolve/unfolded/lipschitz.hpp"
#include "deepsolve/unfolded/model_types.hpp"
#include "deepsolve/unfolded/network.hpp"
#include "deepsolve/unfolded/penalty.hpp"
#include "deepsolve/unfolded/support_selection.hpp"
#include "deepsolve/unfolded/synthetic.hpp"
#include "deepsolve/unfolded/torch_batch.hpp"
#include "deepsolve/unfolded/training.hpp"

namespace {

using namespace deepsolve;
namespace uf = deepsolve::unfolded;
namespace dl = deepsolve::learned;
using bench::Json;
using bench::Timing;

// ---- Command line -------------------------------------------------------------------------------

const std::vector<std::string> kRoles = {"ista-unsup", "ista-sup",   "iht-unsup", "iht-sup",
                                         "lista",      "lista-cpss", "alista"};

long long integer_arg(const bench::Args& args, const std::string& key, long long fallback,
                      long long min) {
  if (!args.has(key)) return fallback;
  const std::string text = args.get(key, "");
  std::size_t used = 0;
  long long v = 0;
  try {
    v = std::stoll(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != text.size())
    throw std::invalid_argument("--" + key + ": '" + text + "' is not an integer");
  if (v < min)
    throw std::invalid_argument("--" + key + " must be >= " + std::to_string(min) + ", got " +
                                text);
  return v;
}

double number_text(const std::string& text, const std::string& what) {
  std::size_t used = 0;
  double v = 0.0;
  try {
    v = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != text.size() || std::isnan(v))
    throw std::invalid_argument(what + ": '" + text + "' is not a number");
  return v;
}

double real_arg(const bench::Args& args, const std::string& key, double fallback) {
  return args.has(key) ? number_text(args.get(key, ""), "--" + key) : fallback;
}

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream s(text);
  for (std::string item; std::getline(s, item, ',');)
    if (!item.empty()) out.push_back(item);
  return out;
}

std::string default_tensors_path(const std::string& json_path) {
  const std::string ext = ".json";
  if (json_path.size() > ext.size() &&
      json_path.compare(json_path.size() - ext.size(), ext.size(), ext) == 0)
    return json_path.substr(0, json_path.size() - ext.size()) + ".pt";
  return json_path + ".pt";
}

std::string load_average() {
  std::ifstream in("/proc/loadavg");
  std::string l1, l5, l15;
  return in >> l1 >> l5 >> l15 ? l1 + " " + l5 + " " + l15 : std::string("?");
}

// Minor page faults of this process so far (memory touched for the first time since it was
// mapped: large tensors whose pages the allocator returned to the system and gets again).
long minor_faults() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_minflt;
}

// One warm-up call, then `reps` calls timed one by one (as bench_dcdm_inference); `faults`, when
// given, receives the minor page faults per timed call.
template <class F>
Timing time_each(F&& f, int reps, double* faults = nullptr) {
  f();
  std::vector<double> per_call;
  const long faults_before = minor_faults();
  for (int r = 0; r < reps; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    f();
    per_call.push_back(bench::seconds_since(t0));
  }
  if (faults) *faults = double(minor_faults() - faults_before) / reps;
  return bench::summarize(std::move(per_call), 1);
}

// ---- Models and their data ----------------------------------------------------------------------

struct Network {
  std::string role;  // "" for a freshly initialised network
  std::string path;  // "" for a freshly initialised network
  std::string type;
  std::shared_ptr<uf::UnfoldedModule> net;
  dl::ModelOptions options;
  std::map<std::string, std::string> settings;  // the model's metadata, "key=value" lines split
  uf::SyntheticSetup setup;                     // the data it runs on
  std::string setup_source;
};

// The model's metadata as one map: its own keys, and the "key=value" lines of any value that
// holds some (training_settings() is such a text).
std::map<std::string, std::string> flatten_metadata(const std::map<std::string, std::string>& m) {
  std::map<std::string, std::string> out = m;
  for (const auto& [key, value] : m) {
    if (value.find('=') == std::string::npos || value.find('\n') == std::string::npos) continue;
    std::istringstream lines(value);
    for (std::string line; std::getline(lines, line);) {
      const auto eq = line.find('=');
      if (eq != std::string::npos && eq > 0) out.emplace(line.substr(0, eq), line.substr(eq + 1));
    }
  }
  return out;
}

std::string role_of(const std::string& path, const std::string& type,
                    const std::map<std::string, std::string>& settings) {
  if (type == "lista" || type == "lista-cpss" || type == "alista") return type;
  const std::string base = type == "unfolded-ista" ? "ista" : "iht";
  const auto loss = settings.find("loss");
  if (loss != settings.end()) {
    if (loss->second == "unsupervised") return base + "-unsup";
    if (loss->second == "supervised") return base + "-sup";
  }
  const std::string name = std::filesystem::path(path).filename().string();
  if (name.find("unsup") != std::string::npos) return base + "-unsup";
  if (name.find("sup") != std::string::npos) return base + "-sup";
  throw std::invalid_argument(path + ": a " + type +
                              " model whose training loss is neither in its metadata (loss) nor "
                              "in its name (unsup/sup); name it with --model-" +
                              base + "-unsup or --model-" + base + "-sup");
}

// The model of `path` if it is an unfolded network (nullopt for another family).
std::optional<Network> load_network(const std::string& path) {
  dl::LoadedModel m = dl::load_model(path);
  if (m.type->family != uf::kUnfoldedFamily) return std::nullopt;
  Network n;
  n.path = path;
  n.type = m.type->name;
  n.net = std::dynamic_pointer_cast<uf::UnfoldedModule>(m.module);
  if (!n.net) throw std::runtime_error(path + ": type " + n.type + " is not an unfolded network");
  n.net->eval();
  n.options = m.options;
  n.settings = flatten_metadata(m.metadata);
  n.role = role_of(path, n.type, n.settings);
  return n;
}

// The models of --models DIR and --model-<role>, by role.
std::map<std::string, Network> load_models(const bench::Args& args) {
  std::map<std::string, Network> by_role;
  const std::string dir = args.get("models", "");
  if (!dir.empty()) {
    namespace fs = std::filesystem;
    std::error_code ec;
    if (!fs::is_directory(dir, ec))
      throw std::invalid_argument("--models " + dir + ": not a folder");
    std::vector<std::string> files;
    for (const auto& entry : fs::directory_iterator(dir))
      if (entry.is_regular_file() && entry.path().extension() == ".pt")
        files.push_back(entry.path().string());
    std::sort(files.begin(), files.end());
    for (const std::string& f : files) {
      std::optional<Network> n = load_network(f);
      if (!n) continue;
      const std::string role = n->role;
      if (args.has("model-" + role)) continue;  // named explicitly
      const auto it = by_role.find(role);
      if (it != by_role.end())
        throw std::invalid_argument("--models " + dir + ": two " + role + " models, " +
                                    it->second.path + " and " + f + "; name one with --model-" +
                                    role);
      by_role.emplace(role, std::move(*n));
    }
  }
  for (const std::string& role : kRoles) {
    if (!args.has("model-" + role)) continue;
    const std::string f = args.get("model-" + role, "");
    std::optional<Network> n = load_network(f);
    if (!n) throw std::invalid_argument("--model-" + role + " " + f + ": not an unfolded network");
    n->role = role;
    by_role[role] = std::move(*n);
  }
  return by_role;
}

// The data options of the command line (defaults: the standard setup, seed 1).
uf::SyntheticSetup setup_from_args(const bench::Args& args) {
  uf::SyntheticSetup s;
  s.measurements = integer_arg(args, "measurements", 250, 1);
  s.signal_size = integer_arg(args, "signal-size", 500, 1);
  s.sparsity = real_arg(args, "sparsity", 0.1);
  s.snr_db = real_arg(args, "snr", 40.0);
  s.seed = static_cast<std::uint64_t>(integer_arg(args, "seed", 1, 0));
  s.validate();
  return s;
}

// The data a trained model was trained on: its metadata's data.* keys, the options where it has
// none or where they are given.
void resolve_setup(Network& n, const bench::Args& args) {
  uf::SyntheticSetup s = setup_from_args(args);
  s.measurements = n.net->measurements();
  s.signal_size = n.net->signal_size();
  std::vector<std::string> from_options;
  const auto pick = [&](const std::string& key, const std::string& option, auto&& apply) {
    const auto it = n.settings.find(key);
    if (args.has(option) || it == n.settings.end()) {
      from_options.push_back("--" + option);
      return;
    }
    apply(it->second);
  };
  pick("data.sparsity", "sparsity",
       [&](const std::string& v) { s.sparsity = number_text(v, n.path + ": data.sparsity"); });
  pick("data.snr_db", "snr",
       [&](const std::string& v) { s.snr_db = number_text(v, n.path + ": data.snr_db"); });
  pick("data.seed", "seed", [&](const std::string& v) {
    std::size_t used = 0;
    try {
      s.seed = std::stoull(v, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != v.size())
      throw std::invalid_argument(n.path + ": data.seed '" + v + "' is not an integer");
  });
  const auto redraw = n.settings.find("data.redraw_matrix");
  s.redraw_matrix = redraw != n.settings.end() && redraw->second == "true";
  if (n.net->fixed_matrix()) s.redraw_matrix = false;
  s.validate();
  n.setup = s;
  n.setup_source = "the model's metadata";
  if (!from_options.empty()) {
    n.setup_source += from_options.size() == 3 ? " (none there): the command line's" : ", and";
    for (std::size_t i = 0; i < from_options.size(); ++i)
      n.setup_source += (i ? ", " : " ") + from_options[i];
  }
}

// A fresh network of `type`, initialised from A (float64 [m, n]).
Network initialised_network(const std::string& type, const uf::SyntheticSetup& setup,
                            std::int64_t layers, const torch::Tensor& A) {
  const dl::ModelType& t = dl::ModelRegistry::instance().get(type);
  if (t.family != uf::kUnfoldedFamily)
    throw std::invalid_argument("--types: " + type + " is not an unfolded network type");
  Network n;
  n.type = type;
  n.options = dl::resolve_options(t, {{"measurements", std::to_string(setup.measurements)},
                                      {"signal-size", std::to_string(setup.signal_size)},
                                      {"layers", std::to_string(layers)}});
  n.net = std::dynamic_pointer_cast<uf::UnfoldedModule>(t.build(n.options));
  n.net->initialise(A);
  n.net->eval();
  n.setup = setup;
  n.setup_source = "the command line";
  return n;
}

// The test samples 0 .. problems-1 of the network's data (for a fixed-matrix network, checked to
// be its own A).
uf::SparseBatch test_batch(const Network& n, std::int64_t problems) {
  const uf::SyntheticData data(n.setup);
  uf::SparseBatch batch = data.range(0, problems, uf::DataStream::test);
  if (n.net->fixed_matrix() &&
      !torch::equal(n.net->matrix().to(torch::kFloat32), batch.A.to(torch::kFloat32)))
    throw std::invalid_argument(
        (n.path.empty() ? n.type : n.path) +
        ": the network holds another A than the seeded one of its data (seed " +
        std::to_string(n.setup.seed) + ", " + std::to_string(n.setup.measurements) + " x " +
        std::to_string(n.setup.signal_size) + "); give the data seed it was trained with (--seed)");
  return batch;
}

Json setup_json(const uf::SyntheticSetup& s) {
  Json j = Json::object();
  j["measurements"] = s.measurements;
  j["signal_size"] = s.signal_size;
  j["sparsity"] = s.sparsity;
  if (std::isfinite(s.snr_db))
    j["snr_db"] = s.snr_db;
  else
    j["snr_db"] = "inf";
  j["seed"] = s.seed;
  j["redraw_matrix"] = s.redraw_matrix;
  return j;
}

Json network_json(const Network& n) {
  Json j = Json::object();
  j["type"] = n.type;
  j["role"] = n.role;
  j["weights"] = n.path.empty() ? "initialised" : "trained";
  if (!n.path.empty()) j["path"] = n.path;
  j["description"] = dl::ModelRegistry::instance().get(n.type).describe(*n.net);
  j["layers"] = n.net->layers();
  j["lambda"] = n.net->lambda();
  Json o = Json::object();
  for (const auto& [k, v] : n.options) o[k] = v;
  j["options"] = std::move(o);
  const auto loss = n.settings.find("loss");
  if (loss != n.settings.end()) j["loss"] = loss->second;
  j["data"] = setup_json(n.setup);
  j["data_from"] = n.setup_source;
  return j;
}

std::int64_t count_parameters(const torch::nn::Module& m) {
  std::int64_t c = 0;
  for (const auto& p : m.parameters()) c += p.numel();
  return c;
}

// ---- Part 1: inference
// ---------------------------------------------------------------------------

// One layer's pieces timed alone on the batch (the last layer's shapes): where a forward's time
// goes.
Json breakdown(const Network& n, const torch::Tensor& y, const torch::Tensor& A,
               const torch::Tensor& x, int reps) {
  const std::int64_t T = n.net->layers();
  // The update's matrix (A/L-like W_t of LISTA-CPSS, ALISTA's W, A itself) is [m, n] for every
  // type here, so A stands for it.
  const torch::Tensor& weight = A;
  const torch::Tensor residual = torch::addmm(y, x, A.t(), 1.0, -1.0);
  const torch::Tensor v = torch::addmm(x, residual, weight);
  const torch::Tensor theta = torch::full({}, 0.01f);
  Json j = Json::object();
  const Timing mm1 = time_each([&] { (void)torch::addmm(y, x, A.t(), 1.0, -1.0); }, reps);
  const Timing mm2 = time_each([&] { (void)torch::addmm(x, residual, weight); }, reps);
  const Timing soft = time_each([&] { (void)uf::shrink(n.net->penalty(), v, theta); }, reps);
  j["residual_matmul_s"] = mm1.best_s;
  j["update_matmul_s"] = mm2.best_s;
  j["threshold_s"] = soft.best_s;
  double per_layers = T * (mm1.best_s + mm2.best_s + soft.best_s);
  const bool selects = n.options.count("support-step") != 0 &&
                       number_text(n.options.at("support-step"), "support-step") > 0.0;
  if (selects) {
    uf::SupportSelection s;
    s.step_percent = number_text(n.options.at("support-step"), "support-step");
    s.max_percent = number_text(n.options.at("support-max"), "support-max");
    double selection_total = 0.0;
    Json counts = Json::array();
    // The count grows with the layer; time each distinct count once, weight by its layers.
    std::map<std::int64_t, int> layers_of_count;
    for (std::int64_t t = 1; t <= T; ++t) ++layers_of_count[s.count(t, v.size(1))];
    for (const auto& [count, layers] : layers_of_count) {
      const Timing sel = time_each(
          [&] { (void)uf::shrink_with_support_selection(v, theta, count); }, std::max(1, reps));
      // The selection includes a soft threshold, counted above.
      selection_total += layers * std::max(0.0, sel.best_s - soft.best_s);
      counts.push_back({{"count", count}, {"layers", layers}, {"seconds", sel.best_s}});
    }
    const Timing topk = time_each(
        [&] { (void)v.abs().topk(layers_of_count.rbegin()->first, 1, true, true); }, reps);
    j["support_selection"] = std::move(counts);
    j["support_selection_extra_s"] = selection_total;  // over all layers, beyond the soft threshold
    j["topk_at_max_count_s"] = topk.best_s;
    per_layers += selection_total;
  }
  j["sum_over_layers_s"] = per_layers;
  return j;
}

int run_inference(const bench::Args& args, const Json& machine, int threads, int reps) {
  const std::string json_path = args.get("json", "");
  const std::string tensors_path = args.get("tensors", default_tensors_path(json_path));
  dl::check_output_path(tensors_path, "--tensors");
  const std::int64_t problems = integer_arg(args, "problems", 10000, 1);
  const std::int64_t layers = integer_arg(args, "layers", 16, 1);
  const std::vector<std::string> types =
      split_list(args.get("types", "unfolded-ista,lista-cpss,alista"));
  if (types.empty()) throw std::invalid_argument("--types: no network type given");
  // The types bench/unfolded_inference.py rebuilds in Python.
  const std::vector<std::string> supported = {"unfolded-ista", "unfolded-iht", "lista-cpss",
                                              "alista"};
  for (const std::string& type : types)
    if (std::find(supported.begin(), supported.end(), type) == supported.end())
      throw std::invalid_argument("--types: " + type +
                                  " has no Python version in bench/unfolded_inference.py "
                                  "(supported: unfolded-ista, unfolded-iht, lista-cpss, alista)");
  const uf::SyntheticSetup setup = setup_from_args(args);

  std::map<std::string, Network> trained = load_models(args);
  // A trained model of each type, when there is one (for unfolded ISTA/IHT the unsupervised one
  // first).
  const auto trained_of = [&](const std::string& type) -> Network* {
    std::vector<std::string> roles = {type};
    if (type == "unfolded-ista") roles = {"ista-unsup", "ista-sup"};
    if (type == "unfolded-iht") roles = {"iht-unsup", "iht-sup"};
    for (const auto& r : roles)
      if (trained.count(r)) return &trained.at(r);
    return nullptr;
  };

  torch::Tensor seeded_A;  // float64, for the initialised networks
  c10::Dict<std::string, torch::Tensor> tensors;
  Json networks = Json::array();
  torch::NoGradGuard no_grad;
  for (const std::string& type : types) {
    Network n;
    if (Network* t = trained_of(type)) {
      n = *t;
      resolve_setup(n, args);
    } else {
      if (!seeded_A.defined()) seeded_A = uf::SyntheticData(setup).matrix();
      n = initialised_network(type, setup, layers, seeded_A);
    }
    const uf::SparseBatch batch = test_batch(n, problems);
    const torch::Tensor y = batch.y.to(torch::kFloat32).contiguous();
    const torch::Tensor A = batch.A.to(torch::kFloat32).contiguous();
    const torch::Tensor input_A = n.net->fixed_matrix() ? torch::Tensor() : A;
    // The output is computed once; the timed calls drop theirs at once, as the Python side does
    // (holding one across calls changes what the allocator reuses: a 20 MB tensor paged in anew
    // every call, measured).
    const torch::Tensor output = n.net->forward(y, input_A);
    double faults = 0.0;
    const Timing forward = time_each([&] { (void)n.net->forward(y, input_A); }, reps, &faults);
    const Json parts = breakdown(n, y, A, output, reps);

    Json j = network_json(n);
    j["parameters"] = count_parameters(*n.net);
    j["matrix_input"] = !n.net->fixed_matrix();
    j["forward"] = forward.to_json();
    j["forward"]["minor_faults_per_call"] = faults;
    j["breakdown"] = parts;
    j["output_nmse_db"] = uf::nmse_db(output, batch.x);
    networks.push_back(j);

    tensors.insert(type + "/y", y);
    tensors.insert(type + "/A", A);
    tensors.insert(type + "/output", output);
    for (const auto& p : n.net->named_parameters())
      tensors.insert(type + "/param/" + p.key(), p.value().detach());
    for (const auto& b : n.net->named_buffers())
      tensors.insert(type + "/param/" + b.key(), b.value().detach());

    std::printf("%s (%s weights%s), %lld problems, %d thread%s, %d calls after one warm-up\n",
                j["description"].get<std::string>().c_str(),
                n.path.empty() ? "initialised" : "trained",
                n.path.empty() ? ", seeded A" : (", " + n.path).c_str(),
                static_cast<long long>(problems), threads, threads == 1 ? "" : "s", reps);
    std::printf(
        "  C++ forward  min %s  median %s per call, %.0f minor page faults per call (NMSE "
        "of x_T %.2f dB)\n",
        bench::format_time(forward.best_s).c_str(), bench::format_time(forward.median_s).c_str(),
        faults, j["output_nmse_db"].get<double>());
    std::printf("  one layer alone: matmuls %s + %s, threshold %s",
                bench::format_time(parts["residual_matmul_s"].get<double>()).c_str(),
                bench::format_time(parts["update_matmul_s"].get<double>()).c_str(),
                bench::format_time(parts["threshold_s"].get<double>()).c_str());
    if (parts.contains("support_selection_extra_s"))
      std::printf(", support selection beyond it %s over all layers (topk %s)",
                  bench::format_time(parts["support_selection_extra_s"].get<double>()).c_str(),
                  bench::format_time(parts["topk_at_max_count_s"].get<double>()).c_str());
    std::printf("; sum over %lld layers %s\n", static_cast<long long>(n.net->layers()),
                bench::format_time(parts["sum_over_layers_s"].get<double>()).c_str());
  }

  {
    const std::vector<char> bytes = torch::pickle_save(c10::IValue(tensors));
    dl::write_file_atomically(tensors_path, {std::string_view(bytes.data(), bytes.size())});
  }
  Json doc = Json::object();
  doc["benchmark"] = "unfolded_inference";
  doc["machine"] = machine;
  doc["torch_version"] = TORCH_VERSION;
  doc["threads"] = threads;
  doc["torch_threads"] = torch::get_num_threads();
  doc["reps"] = reps;
  doc["problems"] = problems;
  doc["tensors"] = tensors_path;
  doc["networks"] = std::move(networks);
  doc["load_average_after"] = load_average();
  bench::write_json(json_path, doc);
  std::printf("wrote %s and %s\n", json_path.c_str(), tensors_path.c_str());
  return 0;
}

// ---- Part 2: trained models against FISTA
// ---------------------------------------------------------

// The batch space of TorchBatch (iterative.hpp's FISTA loop, unchanged), watching the NMSE of
// every iterate: once it reaches `target_db`, every problem reports no change, so that the
// loop's relative-change test stops them all at that iteration.
class StopAtNmse {
 public:
  using vector = torch::Tensor;

  StopAtNmse(const uf::TorchBatch& inner, torch::Tensor x_true, double target_db)
      : inner_(inner),
        x_true_(std::move(x_true)),
        target_db_(target_db),
        reference_(x_true_.pow(2).sum().item<double>()) {}

  int batch_size() const { return inner_.batch_size(); }
  vector zero() const { return inner_.zero(); }
  vector proximal_gradient(const vector& v) const { return inner_.proximal_gradient(v); }
  vector extrapolate(const vector& x, const vector& x_prev, double beta) const {
    return inner_.extrapolate(x, x_prev, beta);
  }
  void keep_stopped(vector& x_new, const vector& x, const std::vector<char>& active) const {
    inner_.keep_stopped(x_new, x, active);
  }
  uf::ChangeNorms change(const vector& x_new, const vector& x) const {
    uf::ChangeNorms norms = inner_.change(x_new, x);
    ++iterations_;
    // In the batch's float32 (a cascade sum: relative error ~1e-6, i.e. ~1e-5 dB).
    last_db_ = 10.0 * std::log10((x_new - x_true_).pow(2).sum().item<double>() / reference_);
    if (reached_at_ == 0 && last_db_ <= target_db_) {
      reached_at_ = iterations_;
      reached_db_ = last_db_;
    }
    if (reached_at_ > 0) std::fill(norms.change.begin(), norms.change.end(), 0.0);
    return norms;
  }
  uf::ProblemMeasures measure(const vector& x, bool with_gap) const {
    return inner_.measure(x, with_gap);
  }
  double support(const vector& x) const { return inner_.support(x); }
  double nmse_db(const vector& x) const { return inner_.nmse_db(x); }

  int reached_at() const { return reached_at_; }
  double reached_db() const { return reached_db_; }
  double last_db() const { return last_db_; }

 private:
  const uf::TorchBatch& inner_;
  torch::Tensor x_true_;
  double target_db_;
  double reference_;
  mutable int iterations_ = 0;
  mutable int reached_at_ = 0;
  mutable double reached_db_ = std::numeric_limits<double>::quiet_NaN();
  mutable double last_db_ = std::numeric_limits<double>::quiet_NaN();
};

struct NmseSearch {
  double lambda = 0.0;
  bool reached = false;
  int iterations = 0;    // where it reached the target, else how many it ran
  double nmse_db = 0.0;  // there
  double seconds = 0.0;  // of the search run (FISTA and the NMSE of every iterate)
  Json to_json() const {
    return {{"lambda", lambda},
            {"reached", reached},
            {"iterations", iterations},
            {"nmse_db", nmse_db},
            {"seconds", seconds}};
  }
};

// FISTA (float32, step 1/L) on the problems until the NMSE of the batch reaches target_db, at
// most `cap` iterations, stopping earlier when every problem has converged (relative change <=
// tolerance).
NmseSearch fista_to_nmse(const torch::Tensor& A, const torch::Tensor& y, const torch::Tensor& x,
                         double lambda, double step, double target_db, int cap, double tolerance) {
  const auto t0 = std::chrono::steady_clock::now();
  torch::NoGradGuard no_grad;
  const uf::TorchBatch inner(A, y, uf::Penalty::l1, lambda,
                             torch::full({y.size(0)}, step, torch::kFloat64), torch::Tensor());
  const StopAtNmse space(inner, x, target_db);
  const uf::IterativeOptions options = uf::IterativeOptions()
                                           .method(uf::IterativeMethod::fista)
                                           .lambda(lambda)
                                           .iterations(cap)
                                           .step(step)
                                           .relative_change(tolerance);
  options.validate();
  torch::Tensor result;
  const uf::IterationOutcome outcome = uf::iterate(space, options, result);
  NmseSearch s;
  s.lambda = lambda;
  s.reached = space.reached_at() > 0;
  s.iterations = s.reached ? space.reached_at() : outcome.iterations;
  s.nmse_db = s.reached ? space.reached_db() : space.last_db();
  s.seconds = bench::seconds_since(t0);
  return s;
}

// FISTA for exactly `iterations` iterations (no stopping test, no history), timed; runs longer
// than `time_max` are timed over time_max iterations and scaled.
Json time_fista(const torch::Tensor& A, const torch::Tensor& y, const torch::Tensor& x,
                double lambda, double step, int iterations, int time_max) {
  const int timed = std::min(iterations, time_max);
  const uf::IterativeOptions options = uf::IterativeOptions()
                                           .method(uf::IterativeMethod::fista)
                                           .lambda(lambda)
                                           .iterations(timed)
                                           .step(step);
  // A short warm-up (threads, allocator), then one timed run.
  (void)uf::solve_iterative(A, y, uf::IterativeOptions(options).iterations(2), x);
  const auto t0 = std::chrono::steady_clock::now();
  const uf::BatchIterativeResult r = uf::solve_iterative(A, y, options);
  const double seconds = bench::seconds_since(t0);
  Json j = Json::object();
  j["iterations"] = iterations;
  j["timed_iterations"] = timed;
  j["timed_seconds"] = seconds;
  j["seconds"] = seconds * iterations / timed;
  j["scaled"] = timed != iterations;
  j["per_iteration_s"] = seconds / timed;
  j["nmse_db"] = uf::nmse_db(r.x, x);
  return j;
}

std::vector<double> fista_lambdas(const bench::Args& args, const Network& n) {
  std::vector<double> out;
  for (const std::string& s :
       split_list(args.get("fista-lambdas", "0.001,0.002,0.005,0.01,0.02,0.05,0.1"))) {
    const double v = number_text(s, "--fista-lambdas");
    if (!(v > 0.0) || !std::isfinite(v))
      throw std::invalid_argument("--fista-lambdas: " + s + " is not a positive lambda");
    out.push_back(v);
  }
  if (out.empty()) throw std::invalid_argument("--fista-lambdas: no lambda given");
  if (n.type == "unfolded-ista" && std::find(out.begin(), out.end(), n.net->lambda()) == out.end())
    out.push_back(n.net->lambda());
  std::sort(out.begin(), out.end());
  return out;
}

int run_trained(const bench::Args& args, const Json& machine, int threads, int reps) {
  const std::string json_path = args.get("json", "");
  const std::int64_t problems = integer_arg(args, "problems", 10000, 1);
  const int cap = static_cast<int>(integer_arg(args, "fista-cap", 5000, 1));
  const std::int64_t select =
      std::min<std::int64_t>(problems, integer_arg(args, "fista-select-problems", 500, 1));
  const double tolerance = real_arg(args, "fista-tolerance", 1e-6);
  if (!(tolerance > 0.0)) throw std::invalid_argument("--fista-tolerance must be > 0");
  const int time_max = static_cast<int>(integer_arg(args, "fista-time-max", 1000, 1));
  const int reference_iterations =
      static_cast<int>(integer_arg(args, "reference-iterations", 200, 1));

  std::map<std::string, Network> models = load_models(args);
  Json out_models = Json::array();
  Json doc = Json::object();
  doc["benchmark"] = "unfolded_trained";
  doc["machine"] = machine;
  doc["torch_version"] = TORCH_VERSION;
  doc["threads"] = threads;
  doc["reps"] = reps;
  doc["problems"] = problems;
  doc["fista"] = {{"cap", cap},
                  {"select_problems", select},
                  {"tolerance", tolerance},
                  {"time_max", time_max},
                  {"reference_iterations", reference_iterations},
                  {"dtype", "float32"}};
  if (models.empty())
    std::printf("no trained models (--models DIR or --model-<role> FILE): nothing to measure\n");

  for (const std::string& role : kRoles) {
    if (!models.count(role)) continue;
    Network& n = models.at(role);
    resolve_setup(n, args);
    const uf::SparseBatch batch = test_batch(n, problems);
    Json j = network_json(n);
    std::printf("\n%s: %s\n  data %s (from %s)\n", role.c_str(),
                j["description"].get<std::string>().c_str(), setup_json(n.setup).dump().c_str(),
                n.setup_source.c_str());

    const std::vector<uf::LayerMetrics> layers = uf::evaluate_layers(*n.net, batch);
    Json per_layer = Json::array();
    for (const auto& m : layers)
      per_layer.push_back({{"layer", m.layer}, {"objective", m.objective}, {"nmse_db", m.nmse_db}});
    const double net_nmse = layers.back().nmse_db;
    const double net_objective = layers.back().objective;
    j["per_layer"] = std::move(per_layer);
    j["nmse_db"] = net_nmse;
    j["objective"] = net_objective;

    torch::NoGradGuard no_grad;
    const torch::Tensor y = batch.y.to(torch::kFloat32).contiguous();
    const torch::Tensor A = batch.A.to(torch::kFloat32).contiguous();
    const torch::Tensor x = batch.x.to(torch::kFloat32).contiguous();
    const Timing forward = time_each(
        [&] { (void)n.net->forward(y, n.net->fixed_matrix() ? torch::Tensor() : A); }, reps);
    j["forward"] = forward.to_json();
    std::printf("  layer %lld: NMSE %.2f dB, mean objective %.6g; forward of %lld problems %s\n",
                static_cast<long long>(layers.back().layer), net_nmse, net_objective,
                static_cast<long long>(problems), bench::format_time(forward.best_s).c_str());

    if (n.net->penalty() == uf::Penalty::l1) {
      const double step = 1.0 / uf::lipschitz_constant(batch.A);
      // FISTA's lambda: the one reaching the network's NMSE soonest on the first problems.
      const torch::Tensor ys = y.narrow(0, 0, select), xs = x.narrow(0, 0, select);
      Json selection = Json::array();
      std::optional<NmseSearch> best;
      std::optional<NmseSearch> closest;
      for (const double lambda : fista_lambdas(args, n)) {
        const NmseSearch s = fista_to_nmse(A, ys, xs, lambda, step, net_nmse, cap, tolerance);
        std::printf("  FISTA lambda %-6g on %lld problems: %s %d iterations (%.2f dB, %s)\n",
                    lambda, static_cast<long long>(select),
                    s.reached ? "reaches it at" : "does not reach it in", s.iterations, s.nmse_db,
                    bench::format_time(s.seconds).c_str());
        selection.push_back(s.to_json());
        if (s.reached && (!best || s.iterations < best->iterations)) best = s;
        if (!closest || s.nmse_db < closest->nmse_db) closest = s;
      }
      const double lambda = best ? best->lambda : closest->lambda;
      const NmseSearch full = fista_to_nmse(A, y, x, lambda, step, net_nmse, cap, tolerance);
      Json timed = time_fista(A, y, x, lambda, step, full.iterations, time_max);
      const double fista_s = timed["seconds"].get<double>();
      const double ratio = forward.best_s / fista_s;
      Json f = Json::object();
      f["selection"] = std::move(selection);
      f["lambda"] = lambda;
      f["step"] = step;
      f["search"] = full.to_json();
      f["reached"] = full.reached;
      f["iterations"] = full.iterations;
      f["timed"] = std::move(timed);
      f["seconds"] = fista_s;
      f["ratio_network_over_fista"] = ratio;
      f["ratio_is_upper_bound"] = !full.reached;
      j["fista"] = std::move(f);
      if (full.reached)
        std::printf(
            "  FISTA (lambda %g) reaches %.2f dB at iteration %d on all %lld problems: %s; "
            "network / FISTA = %.4f\n",
            lambda, full.nmse_db, full.iterations, static_cast<long long>(problems),
            bench::format_time(fista_s).c_str(), ratio);
      else
        std::printf(
            "  FISTA (lambda %g) does not reach %.2f dB within %d iterations (%.2f dB after "
            "%d): %s; network / FISTA < %.4f\n",
            lambda, net_nmse, cap, full.nmse_db, full.iterations,
            bench::format_time(fista_s).c_str(), ratio);
    }

    if (n.type == "unfolded-ista") {
      // The reference objective: FISTA after reference_iterations iterations, float64.
      const uf::BatchIterativeResult r = uf::solve_iterative(batch.A, batch.y,
                                                             uf::IterativeOptions()
                                                                 .method(uf::IterativeMethod::fista)
                                                                 .lambda(n.net->lambda())
                                                                 .iterations(reference_iterations),
                                                             batch.x);
      const double reference = r.objective.mean().item<double>();
      const double gap = (net_objective - reference) / std::abs(reference);
      j["reference"] = {{"method", "fista"},      {"iterations", reference_iterations},
                        {"dtype", "float64"},     {"lambda", n.net->lambda()},
                        {"objective", reference}, {"nmse_db", r.nmse_db},
                        {"relative_gap", gap}};
      std::printf(
          "  mean objective: network (layer %lld) %.8g, FISTA-%d %.8g, relative gap %+.3e\n",
          static_cast<long long>(n.net->layers()), net_objective, reference_iterations, reference,
          gap);
    }
    out_models.push_back(std::move(j));
  }
  doc["models"] = std::move(out_models);
  doc["load_average_after"] = load_average();
  bench::write_json(json_path, doc);
  std::printf("wrote %s\n", json_path.c_str());
  return 0;
}

// Every option of both parts: bench::Args takes any --key, so a misspelt one is caught here.
void check_known_options(int argc, char** argv) {
  std::vector<std::string> known = {"json",
                                    "tensors",
                                    "part",
                                    "threads",
                                    "reps",
                                    "problems",
                                    "layers",
                                    "types",
                                    "models",
                                    "measurements",
                                    "signal-size",
                                    "sparsity",
                                    "snr",
                                    "seed",
                                    "fista-cap",
                                    "fista-lambdas",
                                    "fista-select-problems",
                                    "fista-tolerance",
                                    "fista-time-max",
                                    "reference-iterations"};
  for (const std::string& role : kRoles) known.push_back("model-" + role);
  for (int i = 1; i < argc; i += 2) {
    const std::string a = argv[i];
    if (a.rfind("--", 0) == 0 && std::find(known.begin(), known.end(), a.substr(2)) == known.end())
      throw std::invalid_argument("unknown option " + a);
  }
}

int run(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // progress lines show in a log as they come
  check_known_options(argc, argv);
  const bench::Args args(argc, argv, {});
  if (args.get("json", "").empty()) throw std::invalid_argument("--json FILE is required");
  dl::check_output_path(args.get("json", ""), "--json");
  const std::string part = args.get("part", "inference");
  const int threads = static_cast<int>(integer_arg(args, "threads", 1, 1));
  const int reps = static_cast<int>(integer_arg(args, "reps", 3, 1));
  const Json machine = bench::machine_info(argc, argv);  // the load average at the start
  torch::set_num_threads(threads);
  uf::register_unfolded_networks();
  if (part == "inference") return run_inference(args, machine, threads, reps);
  if (part == "trained") return run_trained(args, machine, threads, reps);
  throw std::invalid_argument("--part: '" + part + "' is not a part (inference, trained)");
}

}  // namespace

int main(int argc, char** argv) {
  return bench::run_main("bench_unfolded", run, argc, argv);
}
