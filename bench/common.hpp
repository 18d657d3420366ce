// Shared pieces of the benchmark programs: repeated wall-clock timing, the STREAM triad reference,
// a description of the machine, and a small command-line parser. Benchmarks measure and report;
// they never assert.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace deepsolve::bench {

/// The results files' JSON: objects keep the order their members were set in.
using Json = nlohmann::ordered_json;

/// Per-call wall-clock times over several samples: the best (the usual figure for bandwidth-bound
/// kernels on a shared machine) and the median.
struct Timing {
  double best_s = 0.0;
  double median_s = 0.0;
  int samples = 0;
  int calls_per_sample = 1;
  Json to_json() const;
};

inline double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

Timing summarize(std::vector<double> per_call_seconds, int calls_per_sample);

/// Calls f once to warm up, then takes `samples` samples of enough back-to-back calls to last at
/// least `min_sample_s` each (one call each when min_sample_s is 0).
template <class F>
Timing time_calls(F&& f, int samples, double min_sample_s = 0.02) {
  auto t0 = std::chrono::steady_clock::now();
  f();
  const double once = seconds_since(t0);
  int calls = 1;
  if (once > 0.0 && once < min_sample_s) calls = static_cast<int>(min_sample_s / once) + 1;
  std::vector<double> per_call;
  for (int s = 0; s < samples; ++s) {
    t0 = std::chrono::steady_clock::now();
    for (int c = 0; c < calls; ++c) f();
    per_call.push_back(seconds_since(t0) / calls);
  }
  return summarize(std::move(per_call), calls);
}

/// Like time_calls for several functions at once, interleaved sample by sample, so that a shared
/// machine's load falls on all of them alike. Returns one Timing per function.
std::vector<Timing> time_interleaved(const std::vector<std::function<void()>>& fs, int samples,
                                     double min_sample_s = 0.02);

/// The STREAM triad a[i] = b[i] + s * c[i] on three arrays of `n` doubles, counted as STREAM
/// counts it: 24 bytes per element (the write-allocate read of a is not counted).
class StreamTriad {
 public:
  explicit StreamTriad(std::int64_t n);
  void run();
  std::int64_t elements() const { return static_cast<std::int64_t>(a_.size()); }
  double bytes() const { return 24.0 * static_cast<double>(a_.size()); }

 private:
  std::vector<double> a_, b_, c_;
};

struct StreamResult {
  std::int64_t elements = 0;
  Timing timing;
  double best_gbs = 0.0;
  double median_gbs = 0.0;
  Json to_json() const;
};
StreamResult stream_triad(StreamTriad& triad, int samples);
StreamResult stream_result(const StreamTriad& triad, const Timing& timing);

/// CPU model, core count, compiler, build flags, date, load average, and the command line (paths
/// inside the repository relative to its root).
Json machine_info(int argc, char** argv);

/// `--key value` and `--flag` arguments; anything else is an error.
class Args {
 public:
  Args(int argc, char** argv, const std::vector<std::string>& flags);
  bool has(const std::string& key) const { return values_.count(key) != 0; }
  std::string get(const std::string& key, const std::string& fallback) const;
  int get_int(const std::string& key, int fallback) const;
  double get_double(const std::string& key, double fallback) const;

 private:
  std::map<std::string, std::string> values_;
};

/// Writes `doc` to `path` (creating nothing else); throws on failure.
void write_json(const std::string& path, const Json& doc);

/// write_json when `path` is not empty (the benchmark was asked for its results), and says so.
void write_results(const std::string& path, const Json& doc);

/// A benchmark's main(): runs `run` and reports an exception as "<program>: <what>" on stderr,
/// with exit code 1.
int run_main(const char* program, int (*run)(int, char**), int argc, char** argv);

/// "12.3 ms"-style formatting helpers for the printed tables.
std::string format_time(double seconds);
std::string format_fixed(double value, int decimals);

}  // namespace deepsolve::bench
