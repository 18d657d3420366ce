// bench_diffusion_sampling: sampling throughput of deepsolve::diffusion against the same model and
// sampler in PyTorch from Python (bench/diffusion_sampling_torch.py, which this program runs).
//
// The model: an "mlp-denoiser" from the model registry (mlp_denoiser.hpp; default 2-d samples,
// 3 hidden layers of 128, a 32-d noise embedding, 8 classes as for mixture8), LibTorch's default
// initialisation with a fixed seed (the weights do not change the cost), in a Denoiser with EDM's
// preconditioning (sigma_data 0.5). The sampler: Euler (EDM Alg. 1 without the correction) on the
// Karras schedule (sigma 0.002 .. 80, rho 7, then 0), --steps noise levels, run through the
// library's API (sampler.hpp: sample("euler", UnguidedDenoising(denoiser, labels), noise, sigmas))
// under c10::InferenceMode, float32, labels k mod classes. The Python side builds the same network
// (loading these weights), checks that its samples from the same noise agree with ours, and runs
// the same loop under torch.inference_mode. Both sides use --threads threads.
//
// Timing, for each batch size of --batches: one warm-up run, then --reps samples of enough
// back-to-back runs to last 0.05 s; best seconds per run, by the process's CPU time with one
// thread (on a shared machine it does not grow with the other processes' load; the wall time,
// also recorded, does) and by the wall clock with several. --rounds rounds alternate the C++ and
// the Python timings (so that a noisy stretch of a shared machine does not fall on one side
// only); each side keeps its best round. Throughput = batch / best time per run (samples per
// second, each sample costing --steps network evaluations); the ratio is C++ over Python.
//
//   bench_diffusion_sampling [--json FILE] [--work DIR] [--batches 16,256,4096] [--steps 18]
//                            [--threads 1] [--reps 5] [--rounds 2] [--hidden 128] [--layers 3]
//                            [--embedding 32] [--classes 8] [--dimension 2] [--seed 1]
//                            [--python /usr/bin/python3] [--no-python] [--default-malloc]
//                            [--quick]
//
// Memory: with glibc's default malloc, the tensors of a batch (128 KiB and more) are mapped and
// unmapped, or the heap trimmed, call after call, and page faults then cost more than the
// arithmetic (at batch 256, 35 ms per run instead of 7.5 ms), by amounts that depend on the
// process's allocation history. Unless --default-malloc is given, both sides therefore run with
// the same settings: mmap threshold 32 MiB (glibc's largest) and trim threshold 1 GiB (mallopt
// here, MALLOC_MMAP_THRESHOLD_ / MALLOC_TRIM_THRESHOLD_ in the Python process's environment).
//
// The Python script is run as `<python> bench/diffusion_sampling_torch.py ...` from the current
// directory (the repository root, as scripts/bench runs the benchmarks).
#include <c10/core/InferenceMode.h>
#include <torch/torch.h>

#include <malloc.h>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "common.hpp"
#include "deepsolve/diffusion/denoiser.hpp"
#include "deepsolve/diffusion/denoising_function.hpp"
#include "deepsolve/diffusion/mlp_denoiser.hpp"
#include "deepsolve/diffusion/model_types.hpp"
#include "deepsolve/diffusion/noise_schedule.hpp"
#include "deepsolve/diffusion/sampler.hpp"
#include "deepsolve/learned/io/model_registry.hpp"

namespace {

namespace bench = deepsolve::bench;
namespace dd = deepsolve::diffusion;
namespace dl = deepsolve::learned;
using bench::Json;

constexpr double kSigmaData = 0.5;
constexpr double kSigmaMin = 0.002, kSigmaMax = 80.0, kRho = 7.0;
constexpr double kMinSampleSeconds = 0.05;
constexpr int kMmapThreshold = 32 << 20;  // glibc's DEFAULT_MMAP_THRESHOLD_MAX on 64 bits
constexpr int kTrimThreshold = 1 << 30;
constexpr double kTarget = 1.5;  // issue 26: C++ sampling throughput >= 1.5x PyTorch's

std::vector<std::int64_t> parse_batches(const std::string& text) {
  std::vector<std::int64_t> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t comma = std::min(text.find(',', start), text.size());
    if (comma > start) out.push_back(std::stoll(text.substr(start, comma - start)));
    start = comma + 1;
  }
  if (out.empty()) throw std::invalid_argument("--batches: no batch size in '" + text + "'");
  for (const auto b : out)
    if (b < 1) throw std::invalid_argument("--batches: a batch size must be >= 1");
  return out;
}

// Seconds per sampling run, by the process's CPU time and by the wall clock: one warm-up run,
// then `reps` samples of enough back-to-back runs to last kMinSampleSeconds each.
struct RunTiming {
  double best_cpu_s = 0.0, median_cpu_s = 0.0, best_wall_s = 0.0, median_wall_s = 0.0;
  int samples = 0, calls_per_sample = 1;
  /// The figure the comparison uses: CPU time with one thread (on a shared machine it does not
  /// grow with the other processes' load, the wall time does), the wall time with several.
  double seconds(int threads) const { return threads == 1 ? best_cpu_s : best_wall_s; }
  Json to_json() const {
    return {{"best_cpu_s", best_cpu_s},   {"median_cpu_s", median_cpu_s},
            {"best_wall_s", best_wall_s}, {"median_wall_s", median_wall_s},
            {"samples", samples},         {"calls_per_sample", calls_per_sample}};
  }
};

double cpu_seconds() {
  return static_cast<double>(std::clock()) / CLOCKS_PER_SEC;
}

double median_of(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

template <class F>
RunTiming time_runs(F&& f, int reps) {
  auto t0 = std::chrono::steady_clock::now();
  f();
  const double once = bench::seconds_since(t0);
  RunTiming t;
  if (once > 0.0 && once < kMinSampleSeconds)
    t.calls_per_sample = static_cast<int>(kMinSampleSeconds / once) + 1;
  std::vector<double> cpu, wall;
  for (int r = 0; r < reps; ++r) {
    t0 = std::chrono::steady_clock::now();
    const double c0 = cpu_seconds();
    for (int c = 0; c < t.calls_per_sample; ++c) f();
    cpu.push_back((cpu_seconds() - c0) / t.calls_per_sample);
    wall.push_back(bench::seconds_since(t0) / t.calls_per_sample);
  }
  t.samples = reps;
  t.best_cpu_s = *std::min_element(cpu.begin(), cpu.end());
  t.best_wall_s = *std::min_element(wall.begin(), wall.end());
  t.median_cpu_s = median_of(cpu);
  t.median_wall_s = median_of(wall);
  return t;
}

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (const char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

struct Case {
  std::int64_t batch = 0;
  at::Tensor noise, labels, samples;
  std::int64_t nfe = 0;
  RunTiming cpp;
  Json python;  // the best round's record from the Python side
  bool has_python = false;
};

int run(int argc, char** argv) {
  const bench::Args args(argc, argv, {"no-python", "quick", "default-malloc"});
  const bool tuned_malloc = !args.has("default-malloc");
  if (tuned_malloc && (mallopt(M_MMAP_THRESHOLD, kMmapThreshold) == 0 ||
                       mallopt(M_TRIM_THRESHOLD, kTrimThreshold) == 0))
    throw std::runtime_error("mallopt refused the mmap or trim threshold");
  const Json machine = bench::machine_info(argc, argv);
  const bool quick = args.has("quick");
  const std::vector<std::int64_t> batches =
      parse_batches(args.get("batches", quick ? "16,256" : "16,256,4096"));
  const int steps = args.get_int("steps", 18);
  const int threads = args.get_int("threads", 1);
  const int reps = args.get_int("reps", quick ? 2 : 5);
  const int rounds = args.get_int("rounds", quick ? 1 : 2);
  const int seed = args.get_int("seed", 1);
  const std::string work = args.get("work", "build-bench/diffusion_sampling");
  const std::string python = args.get("python", "/usr/bin/python3");
  const bool with_python = !args.has("no-python");
  if (steps < 1 || threads < 1 || reps < 1 || rounds < 1)
    throw std::invalid_argument("--steps, --threads, --reps and --rounds must be >= 1");
  torch::set_num_threads(threads);
  std::filesystem::create_directories(work);

  dd::register_diffusion_networks();
  const dl::ModelType& type = dl::ModelRegistry::instance().get("mlp-denoiser");
  dl::ModelOptions given;
  for (const char* name : {"dimension", "hidden", "layers", "embedding", "classes"})
    if (args.has(name)) given[name] = args.get(name, "");
  if (!args.has("classes")) given["classes"] = "8";
  const dl::ModelOptions options = dl::resolve_options(type, given);
  torch::manual_seed(static_cast<std::uint64_t>(seed));
  auto net = std::dynamic_pointer_cast<dd::MlpDenoiser>(type.build(options));
  net->eval();
  const dd::MlpDenoiserOptions& o = net->options();
  const dd::Denoiser denoiser(net, dd::Prediction::edm, kSigmaData);
  const std::vector<double> sigmas = dd::karras_sigmas(steps, kSigmaMin, kSigmaMax, kRho);

  std::printf(
      "bench_diffusion_sampling: %s; EDM preconditioning, Euler on the Karras schedule, "
      "%d steps; %d thread%s, load average %s\n",
      net->describe().c_str(), steps, threads, threads == 1 ? "" : "s",
      machine.value("load_average", Json("?")).dump().c_str());

  c10::InferenceMode inference;
  std::vector<Case> cases;
  auto generator = at::make_generator<at::CPUGeneratorImpl>(static_cast<std::uint64_t>(seed));
  for (const std::int64_t b : batches) {
    Case c;
    c.batch = b;
    c.noise = at::randn({b, o.dimension}, generator, at::kFloat);
    c.labels = o.classes > 0 ? at::arange(b, at::kLong).remainder(o.classes) : at::Tensor();
    dd::UnguidedDenoising model(denoiser, c.labels);
    const dd::SampleOutput out = dd::sample("euler", model, c.noise, sigmas);
    c.samples = out.samples;
    c.nfe = out.nfe;
    cases.push_back(std::move(c));
  }

  // The tensors and the setup for the Python side.
  const std::string tensors_path = work + "/setup.pt", setup_path = work + "/setup.json";
  {
    c10::impl::GenericDict all(c10::StringType::get(), c10::AnyType::get());
    c10::Dict<std::string, at::Tensor> state;
    for (const auto& p : net->named_parameters()) state.insert(p.key(), p.value().detach());
    for (const auto& p : net->named_buffers()) state.insert(p.key(), p.value().detach());
    all.insert(std::string("parameters"), state);
    all.insert(std::string("sigmas"), at::tensor(sigmas, at::kDouble));
    for (const Case& c : cases) {
      const std::string b = std::to_string(c.batch);
      all.insert("noise_" + b, c.noise);
      all.insert("labels_" + b, c.labels.defined() ? c.labels : at::zeros({c.batch}, at::kLong));
      all.insert("samples_" + b, c.samples);
    }
    const std::vector<char> bytes = torch::pickle_save(all);
    std::ofstream file(tensors_path, std::ios::binary);
    file.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!file) throw std::runtime_error("cannot write " + tensors_path);
  }
  Json setup;
  setup["network"] = {{"dimension", o.dimension},
                      {"hidden", o.hidden},
                      {"layers", o.layers},
                      {"embedding", o.embedding},
                      {"classes", o.classes}};
  setup["prediction"] = "edm";
  setup["sigma_data"] = kSigmaData;
  setup["sampler"] = "euler";
  setup["schedule"] = "karras";
  setup["sigma_min"] = kSigmaMin;
  setup["sigma_max"] = kSigmaMax;
  setup["rho"] = kRho;
  setup["steps"] = steps;
  setup["batches"] = batches;
  setup["threads"] = threads;
  setup["reps"] = reps;
  bench::write_json(setup_path, setup);

  Json python_info;
  std::string python_error;
  for (int r = 0; r < rounds; ++r) {
    std::printf("round %d of %d\n", r + 1, rounds);
    for (Case& c : cases) {
      const RunTiming t = time_runs(
          [&] {
            dd::UnguidedDenoising model(denoiser, c.labels);
            dd::sample("euler", model, c.noise, sigmas);
          },
          reps);
      if (r == 0 || t.seconds(threads) < c.cpp.seconds(threads)) c.cpp = t;
      std::printf(
          "  C++     batch %6lld: %12.1f samples/s (best %.3f ms CPU, %.3f ms wall per run)\n",
          static_cast<long long>(c.batch), double(c.batch) / t.seconds(threads), t.best_cpu_s * 1e3,
          t.best_wall_s * 1e3);
    }
    if (!with_python || !python_error.empty()) continue;
    const std::string out_path = work + "/python_round" + std::to_string(r + 1) + ".json";
    const std::string environment =
        tuned_malloc ? "MALLOC_MMAP_THRESHOLD_=" + std::to_string(kMmapThreshold) +
                           " MALLOC_TRIM_THRESHOLD_=" + std::to_string(kTrimThreshold) + " "
                     : std::string();
    const std::string command = environment + python +
                                " bench/diffusion_sampling_torch.py --setup " +
                                shell_quote(setup_path) + " --tensors " +
                                shell_quote(tensors_path) + " --json " + shell_quote(out_path);
    std::printf("$ %s\n", command.c_str());
    std::fflush(stdout);
    if (std::system(command.c_str()) != 0) {
      python_error = "diffusion_sampling_torch.py failed (see its message above)";
      continue;
    }
    std::ifstream in(out_path);
    const Json record = Json::parse(in);
    for (const Json& pc : record.at("cases"))
      for (Case& c : cases)
        if (pc.at("batch").get<std::int64_t>() == c.batch &&
            (!c.has_python || pc.at("timing").at("seconds").get<double>() <
                                  c.python.at("timing").at("seconds").get<double>())) {
          c.python = pc;
          c.has_python = true;
        }
    python_info = record;
    python_info.erase("cases");
  }

  std::printf("\n%8s %10s %14s %14s %8s\n", "batch", "NFE", "C++ samples/s", "Py samples/s",
              "C++/Py");
  Json results = Json::array();
  double worst_ratio = 0.0;
  bool all_python = with_python && python_error.empty();
  for (const Case& c : cases) {
    const double cpp_rate = double(c.batch) / c.cpp.seconds(threads);
    Json j;
    j["batch"] = c.batch;
    j["nfe"] = c.nfe;
    Json cj = c.cpp.to_json();
    cj["samples_per_s"] = cpp_rate;
    j["cpp"] = cj;
    if (c.has_python) {
      const double py_rate = c.python.at("timing").at("samples_per_s").get<double>();
      const double ratio = cpp_rate / py_rate;
      worst_ratio = worst_ratio == 0.0 ? ratio : std::min(worst_ratio, ratio);
      j["python"] = c.python.at("timing");
      j["max_relative_difference"] = c.python.at("max_relative_difference");
      j["speedup_cpp_over_python"] = ratio;
      std::printf("%8lld %10lld %14.1f %14.1f %8.2f\n", static_cast<long long>(c.batch),
                  static_cast<long long>(c.nfe), cpp_rate, py_rate, ratio);
    } else {
      all_python = false;
      std::printf("%8lld %10lld %14.1f %14s %8s\n", static_cast<long long>(c.batch),
                  static_cast<long long>(c.nfe), cpp_rate, "-", "-");
    }
    results.push_back(j);
  }
  if (all_python)
    std::printf("smallest C++/Python throughput ratio %.2f (target >= %.1f: %s)\n", worst_ratio,
                kTarget, worst_ratio >= kTarget ? "met" : "not met");
  else if (!python_error.empty())
    std::printf("no Python comparison: %s\n", python_error.c_str());

  Json doc;
  doc["benchmark"] = "diffusion_sampling";
  doc["machine"] = machine;
  doc["torch_version"] = TORCH_VERSION;
  doc["settings"] = setup;
  doc["settings"]["rounds"] = rounds;
  doc["settings"]["malloc"] =
      tuned_malloc ? "glibc mmap threshold 32 MiB, trim threshold 1 GiB, on both sides"
                   : "glibc defaults";
  doc["settings"]["model_type"] = "mlp-denoiser";
  doc["settings"]["network_description"] = net->describe();
  doc["settings"]["cpp_api"] =
      "deepsolve::diffusion::sample(\"euler\", UnguidedDenoising(Denoiser(net, edm, 0.5), "
      "labels), noise, karras_sigmas(steps)) under c10::InferenceMode";
  doc["settings"]["time"] =
      threads == 1 ? "best CPU seconds of the process per sampling run over reps and rounds"
                   : "best wall seconds per sampling run over reps and rounds";
  doc["cases"] = results;
  if (!python_info.is_null()) doc["python_info"] = python_info;
  if (!python_error.empty()) doc["python_error"] = python_error;
  if (all_python) {
    doc["smallest_speedup"] = worst_ratio;
    doc["target_speedup"] = kTarget;
    doc["target_met"] = worst_ratio >= kTarget;
  }
  bench::write_results(args.get("json", ""), doc);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return bench::run_main("bench_diffusion_sampling", run, argc, argv);
}
