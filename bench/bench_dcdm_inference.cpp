// bench_dcdm_inference: time per forward call of a DCDM network (a native model file: the CNN or
// the V-cycle network) in C++, and
// everything bench/dcdm_inference.py needs to run the same network from PyTorch in Python on the
// same input, CPU and thread count (the DCDM issue's "C++ inference per call no slower than PyTorch
// from Python, measured side by side").
//
//   bench_dcdm_inference --model models/dcdm_2d.pt --json results/inf.json
//                        [--tensors results/inf.pt] [--dim 2] [--size 128] [--geometry sphere]
//                        [--threads 1] [--reps 20] [--apply-reps 5] [--seed 1]
//
// The grid is the unit box of --dim/--size with Dirichlet faces and the --geometry layout (as
// poisson_solve makes it); the input is a seeded unit-norm float32 residual on its fluid cells
// (zero elsewhere), batch 1. What is timed is the network's forward(x, no mask, cell images) under
// NoGradGuard in eval mode with torch::set_num_threads(--threads): one warm-up call, then --reps
// calls each timed on its own; the minimum and the median per call are reported. For information,
// NetworkDirection::apply (what a DCDM solve calls: float64 in, float32 network, masked, float64
// out) is timed the same way, --apply-reps calls (0: not at all).
//
// --tensors (default: the --json path with ".pt" for ".json") is written with torch::pickle_save,
// which Python reads with torch.load: a dict {"parameters": {name: tensor}, "input": x, "cells":
// cell images or an empty tensor, "output": the C++ forward of x}. The --json file holds the
// timings, the network options, the grid, threads, the machine and its load average.
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <exception>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "common.hpp"
#include "deepsolve/learned/io/model_registry.hpp"
#include "deepsolve/solvers/dcdm/model_file.hpp"
#include "deepsolve/solvers/dcdm/network_direction.hpp"
#include "deepsolve/solvers/geometry.hpp"
#include "deepsolve/solvers/grid.hpp"
#include "deepsolve/solvers/random.hpp"

namespace {

using namespace deepsolve;
using bench::Json;
using bench::Timing;
namespace dcdm = solvers::dcdm;

// One warm-up call, then `reps` calls timed one by one.
template <class F>
Timing time_each(F&& f, int reps) {
  f();
  std::vector<double> per_call;
  per_call.reserve(static_cast<std::size_t>(reps));
  for (int r = 0; r < reps; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    f();
    per_call.push_back(bench::seconds_since(t0));
  }
  return bench::summarize(std::move(per_call), 1);
}

// The network's registered type and options, under the keys the Python side reads (the option
// keys of the model files before the registry, without "net_"), typed as numbers where they are.
Json options_json(const dcdm::LoadedDirectionModel& m) {
  namespace dl = deepsolve::learned;
  const dl::ModelType& type = dl::ModelRegistry::instance().get(m.type);
  const dl::ModelOptions options = type.options_of(*m.module);
  Json j = Json::object();
  j["architecture"] = m.type;
  for (const dl::ModelOption& o : type.options) {
    if (o.legacy_key.empty()) continue;
    const std::string key = o.legacy_key.substr(o.legacy_key.find('_') + 1);
    const std::string& value = options.at(o.name);
    if (o.kind == dl::ModelOption::Kind::integer || o.kind == dl::ModelOption::Kind::flag)
      j[key] = std::stoll(value);
    else
      j[key] = value;
  }
  j["description"] = type.describe(*m.module);
  return j;
}

// The network of a native model file of either architecture, as the benchmark needs it.
struct Network {
  std::function<torch::Tensor(const torch::Tensor&, const torch::Tensor&)> forward;
  torch::Tensor images;  // what forward's second argument is (undefined: none)
  std::vector<std::pair<std::string, torch::Tensor>> parameters;
  std::int64_t num_parameters = 0;
  int dim = 0;
  std::string description;
  Json options;
  dcdm::ModelInfo info;
};

Network load_network(const std::string& path, const solvers::Grid& grid) {
  Network n;
  dcdm::LoadedDirectionModel m = dcdm::load_direction_model(path);
  m.module->eval();
  for (const auto& p : m.module->named_parameters()) n.parameters.emplace_back(p.key(), p.value());
  n.num_parameters = m.network->num_parameters();
  n.dim = m.network->spatial_dim();
  n.description = deepsolve::learned::ModelRegistry::instance().get(m.type).describe(*m.module);
  n.options = options_json(m);
  n.info = m.info;
  n.images = m.network->grid_inputs(grid);
  n.forward = [module = m.module, net = m.network](const torch::Tensor& x,
                                                   const torch::Tensor& cells) {
    return net->direction(x, {}, cells);
  };
  return n;
}

std::string default_tensors_path(const std::string& json_path) {
  const std::string ext = ".json";
  if (json_path.size() > ext.size() &&
      json_path.compare(json_path.size() - ext.size(), ext.size(), ext) == 0)
    return json_path.substr(0, json_path.size() - ext.size()) + ".pt";
  return json_path + ".pt";
}

int run(int argc, char** argv) {
  const bench::Args args(argc, argv, {});
  const std::string model_path = args.get("model", "");
  const std::string json_path = args.get("json", "");
  if (model_path.empty() || json_path.empty())
    throw std::invalid_argument("--model FILE and --json FILE are required");
  const std::string tensors_path = args.get("tensors", default_tensors_path(json_path));
  const int dim = args.get_int("dim", 2);
  const int n = args.get_int("size", dim == 3 ? 32 : 128);
  const std::string geometry = args.get("geometry", "sphere");
  const int threads = args.get_int("threads", 1);
  const int reps = args.get_int("reps", 20);
  const int apply_reps = args.get_int("apply-reps", std::min(reps, 5));
  const int seed = args.get_int("seed", 1);
  if (threads < 1) throw std::invalid_argument("--threads must be >= 1");
  if (reps < 1) throw std::invalid_argument("--reps must be >= 1");
  if (apply_reps < 0) throw std::invalid_argument("--apply-reps must be >= 0");

  torch::set_num_threads(threads);

  solvers::Grid grid = solvers::Grid::unit_box(dim, n);
  solvers::apply_geometry(grid, geometry);
  const std::int64_t cells = grid.num_cells();
  const std::int64_t fluid = grid.count(solvers::CellType::fluid);

  const Network net = load_network(model_path, grid);
  if (net.dim != dim)
    throw std::invalid_argument(model_path + ": a " + std::to_string(net.dim) +
                                "D model, but --dim " + std::to_string(dim));

  // The input: seeded normal values on the fluid cells, zero elsewhere, unit norm, float32.
  const std::vector<std::int64_t> shape =
      dim == 3 ? std::vector<std::int64_t>{1, 1, grid.size()[2], grid.size()[1], grid.size()[0]}
               : std::vector<std::int64_t>{1, 1, grid.size()[1], grid.size()[0]};
  std::vector<double> r(static_cast<std::size_t>(cells), 0.0);
  double norm2 = 0.0;
  for (std::int64_t c = 0; c < cells; ++c) {
    if (grid.cells()[static_cast<std::size_t>(c)] != solvers::CellType::fluid) continue;
    const double v =
        solvers::hashed_normal(static_cast<std::uint64_t>(seed), static_cast<std::uint64_t>(c));
    r[static_cast<std::size_t>(c)] = v;
    norm2 += v * v;
  }
  for (double& v : r) v /= std::sqrt(norm2);
  const torch::Tensor x =
      torch::from_blob(r.data(), shape, torch::kFloat64).to(torch::kFloat32).contiguous();
  const torch::Tensor& images = net.images;

  torch::NoGradGuard no_grad;
  torch::Tensor output;
  const Timing forward = time_each([&] { output = net.forward(x, images); }, reps);

  // What a DCDM solve calls, for information: float64 in and out, the network, the fluid mask.
  Timing apply;
  if (apply_reps > 0) {
    dcdm::NetworkDirection direction(model_path, grid,
                                     dcdm::NetworkDirectionOptions().device("cpu"));
    std::vector<double> q(r.size(), 0.0);
    apply = time_each([&] { direction.apply(r.data(), q.data()); }, apply_reps);
  }

  // The tensors for Python.
  {
    c10::Dict<std::string, torch::Tensor> parameters;
    for (const auto& [name, p] : net.parameters) parameters.insert(name, p.detach());
    c10::impl::GenericDict all(c10::StringType::get(), c10::AnyType::get());
    all.insert(std::string("parameters"), parameters);
    all.insert(std::string("input"), x);
    all.insert(std::string("cells"), images.defined() ? images : torch::empty({0}));
    all.insert(std::string("output"), output);
    const std::vector<char> bytes = torch::pickle_save(all);
    std::ofstream file(tensors_path, std::ios::binary);
    file.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!file) throw std::runtime_error("cannot write " + tensors_path);
  }

  Json doc = Json::object();
  doc["benchmark"] = "dcdm_inference";
  doc["machine"] = bench::machine_info(argc, argv);
  doc["torch_version"] = TORCH_VERSION;
  Json m = Json::object();
  m["path"] = model_path;
  m["parameters"] = net.num_parameters;
  Json trained = Json::object();
  trained["dim"] = net.info.grid.dim;
  trained["size"] = net.info.grid.size;
  m["trained_on"] = std::move(trained);
  doc["model"] = std::move(m);
  doc["network"] = net.options;
  Json prob = Json::object();
  prob["description"] = grid.describe();
  prob["dim"] = dim;
  prob["size"] = n;
  prob["geometry"] = geometry;
  prob["cells"] = cells;
  prob["fluid_cells"] = fluid;
  doc["problem"] = std::move(prob);
  doc["threads"] = threads;
  doc["torch_threads"] = torch::get_num_threads();
  doc["reps"] = reps;
  doc["seed"] = seed;
  doc["tensors"] = tensors_path;
  doc["forward"] = forward.to_json();
  if (apply_reps > 0) doc["direction_apply"] = apply.to_json();
  {
    std::ifstream in("/proc/loadavg");
    std::string l1, l5, l15;
    if (in >> l1 >> l5 >> l15) doc["load_average_after"] = l1 + " " + l5 + " " + l15;
  }
  bench::write_json(json_path, doc);

  std::printf("%s on %s, %d thread%s, %d calls after one warm-up\n", net.description.c_str(),
              grid.describe().c_str(), threads, threads == 1 ? "" : "s", reps);
  std::printf("  C++ forward              min %s  median %s per call\n",
              bench::format_time(forward.best_s).c_str(),
              bench::format_time(forward.median_s).c_str());
  if (apply_reps > 0)
    std::printf("  NetworkDirection::apply  min %s  median %s per call (float64 in/out, masked)\n",
                bench::format_time(apply.best_s).c_str(),
                bench::format_time(apply.median_s).c_str());
  std::printf("wrote %s and %s\n", json_path.c_str(), tensors_path.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_dcdm_inference: %s\n", e.what());
    return 1;
  }
}
