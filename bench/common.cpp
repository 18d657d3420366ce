#include "common.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#ifndef DEEPSOLVE_BENCH_BUILD_TYPE
#define DEEPSOLVE_BENCH_BUILD_TYPE "unknown"
#endif
#ifndef DEEPSOLVE_BENCH_CXX_FLAGS
#define DEEPSOLVE_BENCH_CXX_FLAGS "unknown"
#endif
#ifndef DEEPSOLVE_BENCH_SOURCE_DIR
#define DEEPSOLVE_BENCH_SOURCE_DIR ""
#endif

namespace deepsolve::bench {

Json Timing::to_json() const {
  return {{"best_s", best_s},
          {"median_s", median_s},
          {"samples", samples},
          {"calls_per_sample", calls_per_sample}};
}

Timing summarize(std::vector<double> per_call, int calls_per_sample) {
  Timing t;
  t.samples = static_cast<int>(per_call.size());
  t.calls_per_sample = calls_per_sample;
  if (per_call.empty()) return t;
  std::sort(per_call.begin(), per_call.end());
  t.best_s = per_call.front();
  const std::size_t m = per_call.size() / 2;
  t.median_s = per_call.size() % 2 ? per_call[m] : 0.5 * (per_call[m - 1] + per_call[m]);
  return t;
}

std::vector<Timing> time_interleaved(const std::vector<std::function<void()>>& fs, int samples,
                                     double min_sample_s) {
  std::vector<int> calls(fs.size(), 1);
  for (std::size_t f = 0; f < fs.size(); ++f) {  // warm-up, and how many calls make a sample
    const auto t0 = std::chrono::steady_clock::now();
    fs[f]();
    const double once = seconds_since(t0);
    if (once > 0.0 && once < min_sample_s) calls[f] = static_cast<int>(min_sample_s / once) + 1;
  }
  std::vector<std::vector<double>> per_call(fs.size());
  for (int s = 0; s < samples; ++s) {
    for (std::size_t f = 0; f < fs.size(); ++f) {
      const auto t0 = std::chrono::steady_clock::now();
      for (int c = 0; c < calls[f]; ++c) fs[f]();
      per_call[f].push_back(seconds_since(t0) / calls[f]);
    }
  }
  std::vector<Timing> out;
  for (std::size_t f = 0; f < fs.size(); ++f) out.push_back(summarize(per_call[f], calls[f]));
  return out;
}

namespace {

// Out of line and on restrict pointers so that it compiles to the plain vector loop STREAM uses.
__attribute__((noinline)) void triad(double* __restrict a, const double* __restrict b,
                                     const double* __restrict c, double s, std::int64_t n) {
  for (std::int64_t i = 0; i < n; ++i) a[i] = b[i] + s * c[i];
}

// A command-line word that names a path inside the repository, relative to the repository root
// ("<checkout>/bench/results/cg.json" or, run from bench/, "results/cg.json" ->
// "bench/results/cg.json"), so that the results files do not record where this checkout lives.
// Options, words without a '/' and paths outside the repository are kept as they are.
std::string root_relative(const std::string& word) {
  namespace fs = std::filesystem;
  const std::string root_dir = DEEPSOLVE_BENCH_SOURCE_DIR;
  if (root_dir.empty() || word.empty() || word[0] == '-' || word.find('/') == std::string::npos)
    return word;
  std::error_code ec;
  const fs::path root = fs::weakly_canonical(root_dir, ec);
  if (ec) return word;
  const fs::path absolute = fs::absolute(word, ec).lexically_normal();
  if (ec) return word;
  // Symbolic links resolved in the directories (as in the root), not in the file name itself.
  const fs::path directory = fs::weakly_canonical(absolute.parent_path(), ec);
  if (ec) return word;
  const fs::path relative = (directory / absolute.filename()).lexically_relative(root);
  if (relative.empty() || *relative.begin() == "..") return word;
  return relative.generic_string();
}

}  // namespace

Json StreamResult::to_json() const {
  return {{"kernel", "a[i] = b[i] + s*c[i]"},
          {"elements", elements},
          {"bytes_per_element", 24},
          {"array_mib", static_cast<double>(elements) * 8.0 / (1024.0 * 1024.0)},
          {"timing", timing.to_json()},
          {"best_gbs", best_gbs},
          {"median_gbs", median_gbs}};
}

StreamTriad::StreamTriad(std::int64_t n)
    : a_(static_cast<std::size_t>(n), 0.0), b_(a_.size(), 1.0), c_(a_.size(), 2.0) {}

void StreamTriad::run() {
  triad(a_.data(), b_.data(), c_.data(), 3.0, elements());
}

StreamResult stream_result(const StreamTriad& triad, const Timing& timing) {
  StreamResult r;
  r.elements = triad.elements();
  r.timing = timing;
  r.best_gbs = triad.bytes() / timing.best_s * 1e-9;
  r.median_gbs = triad.bytes() / timing.median_s * 1e-9;
  return r;
}

StreamResult stream_triad(StreamTriad& triad, int samples) {
  return stream_result(triad, time_calls([&] { triad.run(); }, samples, 0.0));
}

Json machine_info(int argc, char** argv) {
  Json j;
  std::string model = "unknown";
  {
    std::ifstream in("/proc/cpuinfo");
    std::string line;
    while (std::getline(in, line)) {
      if (line.rfind("model name", 0) == 0) {
        const auto colon = line.find(':');
        if (colon != std::string::npos)
          model = line.substr(line.find_first_not_of(" \t", colon + 1));
        break;
      }
    }
  }
  j["cpu_model"] = model;
  j["nproc"] = static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN));
  {
    std::ifstream in("/proc/loadavg");
    std::string l1, l5, l15;
    if (in >> l1 >> l5 >> l15) j["load_average"] = l1 + " " + l5 + " " + l15;
  }
#if defined(__clang__)
  j["compiler"] = std::string("Clang ") + __clang_version__;
#elif defined(__GNUC__)
  j["compiler"] = std::string("GCC ") + __VERSION__;
#else
  j["compiler"] = "unknown";
#endif
  j["build_type"] = DEEPSOLVE_BENCH_BUILD_TYPE;
  j["cxx_flags"] = DEEPSOLVE_BENCH_CXX_FLAGS;
  char date[64];
  const std::time_t now = std::time(nullptr);
  std::strftime(date, sizeof date, "%Y-%m-%d %H:%M:%S UTC", std::gmtime(&now));
  j["date"] = date;
  std::string command;
  for (int i = 0; i < argc; ++i) command += (i ? " " : "") + root_relative(argv[i]);
  j["command"] = command;
  return j;
}

Args::Args(int argc, char** argv, const std::vector<std::string>& flags) {
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a.rfind("--", 0) != 0) throw std::invalid_argument("unexpected argument '" + a + "'");
    const std::string key = a.substr(2);
    if (std::find(flags.begin(), flags.end(), key) != flags.end()) {
      values_[key] = "1";
    } else if (i + 1 < argc) {
      values_[key] = argv[++i];
    } else {
      throw std::invalid_argument("option " + a + " needs a value");
    }
  }
}

std::string Args::get(const std::string& key, const std::string& fallback) const {
  const auto it = values_.find(key);
  return it == values_.end() ? fallback : it->second;
}

int Args::get_int(const std::string& key, int fallback) const {
  return has(key) ? std::stoi(get(key, "")) : fallback;
}

double Args::get_double(const std::string& key, double fallback) const {
  return has(key) ? std::stod(get(key, "")) : fallback;
}

void write_json(const std::string& path, const Json& doc) {
  std::ofstream out(path);
  if (!out) throw std::runtime_error("cannot write " + path);
  // Invalid UTF-8 (in a CPU model string, say) is written as U+FFFD rather than failing the run.
  out << doc.dump(2, ' ', false, Json::error_handler_t::replace) << '\n';
  if (!out) throw std::runtime_error("error writing " + path);
}

void write_results(const std::string& path, const Json& doc) {
  if (path.empty()) return;
  write_json(path, doc);
  std::printf("wrote %s\n", path.c_str());
}

int run_main(const char* program, int (*run)(int, char**), int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: %s\n", program, e.what());
    return 1;
  }
}

std::string format_time(double s) {
  char buf[32];
  if (s >= 1.0)
    std::snprintf(buf, sizeof buf, "%.3g s", s);
  else if (s >= 1e-3)
    std::snprintf(buf, sizeof buf, "%.3g ms", s * 1e3);
  else
    std::snprintf(buf, sizeof buf, "%.3g us", s * 1e6);
  return buf;
}

std::string format_fixed(double value, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, value);
  return buf;
}

}  // namespace deepsolve::bench
