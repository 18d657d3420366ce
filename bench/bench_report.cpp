// bench_report: renders docs/benchmarks.md from the JSON files the benchmarks (and poisson_solve
// --json) write. Needs nothing but the C++ standard library and nlohmann-json, so scripts/bench
// works without Python.
//
//   bench_report --out docs/benchmarks.md --command "scripts/bench" [--stencil stencil.json]
//                [--cg cg.json] [--solve poisson_solve_64.json]... [--dcdm dcdm_2d_128.json]...
//                [--inference inference_2d_128_t1.json]...
//                [--unfolded-inference unfolded_inference_t1.json]...
//                [--unfolded-trained unfolded_trained.json] [--bcd-lasso bcd_lasso.json]
//                [--bcd-trees bcd_trees.json] [--diffusion-sampling diffusion_sampling.json]
//                [--diffusion-guidance-train diffusion_guidance_train.json]
//                [--diffusion-guidance diffusion_guidance_w2.json]...
//                [--smoke smoke_2d_512.json]...
#include <algorithm>
#include <cstdio>
#include <exception>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

namespace {

using Json = nlohmann::ordered_json;

// The member `key` of an object, or nullptr (also when j is not an object).
const Json* member(const Json& j, const std::string& key) {
  if (!j.is_object()) return nullptr;
  const auto it = j.find(key);
  return it == j.end() ? nullptr : &*it;
}

// The number j.key (a boolean counts as 0 or 1); throws when it is missing or not a number.
double number(const Json& j, const std::string& key) {
  return j.at(key).get<double>();
}

// The string j.key; throws when it is missing or not a string.
std::string text(const Json& j, const std::string& key) {
  return j.at(key).get<std::string>();
}

double number_or(const Json& j, const std::string& key, double fallback) {
  const Json* m = member(j, key);
  if (m && m->is_boolean()) return m->get<bool>() ? 1.0 : 0.0;  // get<double> refuses booleans
  return m && m->is_number() ? m->get<double>() : fallback;
}

std::string string_or(const Json& j, const std::string& key, const std::string& fallback) {
  const Json* m = member(j, key);
  return m && m->is_string() ? m->get<std::string>() : fallback;
}

// Targets of the foundation issue.
constexpr double kStencilSpeedupTarget = 3.0;   // matrix-free apply vs PETSc's MatMult
constexpr double kStreamFractionTarget = 0.70;  // matrix-free GB/s vs the STREAM triad
constexpr double kCgSpeedupTarget = 2.0;        // library matrix-free CG vs KSPCG, per iteration
// Targets of the DCDM issue.
constexpr double kDcdmIccRatioTarget = 0.25;  // DCDM iterations vs ICC(0)-PCG's
constexpr double kDcdmGrowthTarget = 1.3;     // DCDM iterations, per doubling of the grid
constexpr double kDcdmRestTarget = 3.0;       // non-network cost per iteration, in stencil applies

// DCDM issue, inference: C++ / Python time per network call (minimum) at most this, and the two
// outputs no further apart (relative to max |output|) than kInferenceMaxDifference, beyond which
// the two compute different functions and the comparison is void.
constexpr double kInferenceRatioTarget = 1.0;
constexpr double kInferenceMaxDifference = 1e-4;

// Unfolded-networks issue: batched inference C++ / Python at most this (outputs within
// kUnfoldedMaxDifference of max |x_T|); a trained network at most this fraction of the time of
// FISTA run to its NMSE; unsupervised unfolded ISTA's mean objective within this relative gap of
// FISTA's after 200 iterations; LISTA-CPSS and ALISTA at layer 16 at most this NMSE at SNR 40 dB.
constexpr double kUnfoldedInferenceRatioTarget = 1.0;
constexpr double kUnfoldedMaxDifference = 1e-5;
constexpr double kUnfoldedFistaRatioTarget = 0.1;
constexpr double kUnfoldedObjectiveGapTarget = 1e-3;
constexpr double kUnfoldedNmseTargetDb = -38.0;

// Block coordinate descent issue, Lasso: ours at least this many times faster than
// scikit-learn's Lasso / lasso_path and faster than glmnet (their time / ours above this), on the
// single alpha and the path of the dense and the sparse problem, with every objective within this
// relative difference of ours. The tree-BCD benchmark against CG has no numeric target.
constexpr double kBcdLassoSklearnTarget = 5.0;
constexpr double kBcdLassoGlmnetTarget = 1.0;
constexpr double kBcdLassoObjectiveTarget = 1e-6;

// Diffusion issue: C++ sampling throughput at least this multiple of PyTorch's (same model and
// sampler, same CPU); AG saves at least this fraction of full CFG's NFEs, LinearAG at least this
// one, each with its sliced Wasserstein distance to the true conditional at most this relative
// amount above full CFG's.
constexpr double kDiffusionSamplingTarget = 1.5;
constexpr double kGuidanceAgSavingTarget = 0.25;
constexpr double kGuidanceLinearAgSavingTarget = 0.40;
constexpr double kGuidanceSwdTolerance = 0.02;

// Simulation issue (examples/smoke): DCDM's total pressure-solve time (setup included, every step)
// at most this fraction of the fastest classical solver's on the same scene.
constexpr double kSmokeTotalRatioTarget = 0.5;

std::string fmt(const char* format, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}

std::string ms(double seconds) {
  return fmt("%.2f", seconds * 1e3);
}

std::string sci(const Json* v) {
  return v && v->is_number() ? fmt("%.2e", v->get<double>()) : "n/a";
}

std::string met(bool ok) {
  return ok ? "met" : "**not met**";
}

// An absolute path shortened to its file name ("/x/build-bench/bench/bench_cg" -> "bench_cg"): it
// names a directory of the machine the benchmark ran on. Other words are kept as they are (the
// benchmarks and scripts/bench record paths inside the repository relative to its root).
std::string shorten_absolute(const std::string& s) {
  if (s.empty() || s[0] != '/') return s;
  const auto slash = s.find_last_of('/');
  return slash + 1 < s.size() ? s.substr(slash + 1) : s;
}

// A command line stored as a string or as an argv array, without absolute paths.
std::string command_text(const Json* c) {
  if (!c) return "?";
  std::vector<std::string> words;
  if (c->is_string()) {
    std::istringstream in(c->get<std::string>());
    for (std::string w; in >> w;) words.push_back(w);
  } else if (c->is_array()) {
    for (const Json& a : *c)
      if (a.is_string()) words.push_back(a.get<std::string>());
  }
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : " ") + shorten_absolute(w);
  return out;
}

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(' ');
  const auto e = s.find_last_not_of(' ');
  return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

Json load(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  try {
    return Json::parse(ss.str());  // throws nlohmann::json::parse_error
  } catch (const std::exception& e) {
    throw std::runtime_error(path + ": " + e.what());
  }
}

void machine_section(std::ostream& out, const Json& doc) {
  const Json& m = doc.at("machine");
  out << "| | |\n|---|---|\n";
  out << "| CPU | " << string_or(m, "cpu_model", "?") << " |\n";
  out << "| Cores (nproc) | " << fmt("%.0f", number_or(m, "nproc", 0)) << " |\n";
  out << "| Load average at start | " << string_or(m, "load_average", "?") << " |\n";
  out << "| Compiler | " << string_or(m, "compiler", "?") << " |\n";
  out << "| Build type, flags | " << string_or(m, "build_type", "?") << ", `"
      << trim(string_or(m, "cxx_flags", "?")) << "` |\n";
  out << "| PETSc | " << string_or(doc, "petsc_version", "?")
      << (member(doc, "sizeof_petsc_int")
              ? fmt(" (%.0f-byte PetscInt)", number(doc, "sizeof_petsc_int"))
              : std::string())
      << " |\n";
  out << "| Date | " << string_or(m, "date", "?") << " |\n\n";
}

// "0.19-0.24 B/row in these cases": the constant-coefficient metadata per row, from the results.
std::string metadata_note(const Json& doc) {
  double lo = 1e300, hi = 0.0;
  for (const Json& c : doc.at("cases")) {
    if (string_or(c, "coefficients", "") != "constant") continue;
    const double per_row = number(c.at("matrix_free"), "bytes") / number(c, "rows") - 16.0;
    lo = std::min(lo, per_row);
    hi = std::max(hi, per_row);
  }
  if (hi == 0.0) return "none measured";
  return fmt("%.2f", lo) + "-" + fmt("%.2f", hi) + " B/row in these cases";
}

void stencil_section(std::ostream& out, const Json& doc) {
  const Json& stream = doc.at("stream_triad");
  const double stream_gbs = number(stream, "best_gbs");
  out << "## Matrix-free stencil vs PETSc MatMult (`bench_stencil`)\n\n";
  out << "Command: `" << command_text(member(doc.at("machine"), "command")) << "`\n\n";
  out << "STREAM triad (`" << string_or(stream, "kernel", "") << "`, three arrays of "
      << fmt("%.0f", number(stream, "array_mib"))
      << " MiB, 24 B/element, measured in the same run): "
      << "**" << fmt("%.1f", stream_gbs) << " GB/s** best, "
      << fmt("%.1f", number(stream, "median_gbs")) << " GB/s median.\n\n";
  out << "Times are per apply, the best of " << fmt("%.0f", number_or(doc, "repetitions", 0))
      << " samples (each sample at least 20 ms of back-to-back applies; the three kernels of a "
         "case "
         "are sampled in turn). Bytes are counted as streamed once, without write-allocate "
         "traffic, "
         "as STREAM counts them:\n\n"
      << "- matrix-free: `StencilOperator::bytes_per_apply()`: x and y (16 B/row) plus the "
         "metadata "
         "the apply reads: with constant coefficients the row and run tables and a 2-byte stencil "
         "class per cell of a mixed run ("
      << metadata_note(doc)
      << "), with variable coefficients "
         "the diagonal and six face weights (56 B/row);\n"
      << "- AIJ `MatMult`: nonzeros x (8 B value + "
      << fmt("%.0f", number_or(doc, "sizeof_petsc_int", 4))
      << " B column index) + (rows + 1) row pointers + x + y;\n"
      << "- DMDA MATSHELL (`DmdaPoisson::apply_matrix_free`, what CG calls): the matrix-free "
         "bytes; a ghost exchange through the DMDA (none when one rank owns the grid, as here) "
         "would not be counted, so its GB/s is the useful bandwidth.\n\n";
  out << "The same-size triad runs on three arrays as long as x and y (one element per row), "
         "sampled alongside too: where the last-level cache holds x and y but not the STREAM "
         "arrays, it is the bandwidth of the memory level the apply actually streams from.\n\n";
  out << "| case | rows | triad GB/s | same-size triad GB/s | matrix-free ms | GB/s | % of STREAM "
         "| % of same-size | AIJ MatMult ms | GB/s | matrix-free / AIJ | DMDA shell ms | GB/s | "
         "shell / AIJ | max rel. diff |\n";
  out << "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n";
  bool speed_ok = true, stream_ok = true, same_size_ok = true, have_same_size = true;
  for (const Json& c : doc.at("cases")) {
    const Json& mf = c.at("matrix_free");
    const Json& aij = c.at("petsc_aij");
    const Json& sh = c.at("dmda_shell");
    const double speedup = number(c, "speedup_matrix_free_vs_aij");
    const double fraction = number(c, "matrix_free_fraction_of_stream");
    const Json* same_fraction = member(c, "matrix_free_fraction_of_same_size_triad");
    if (string_or(c, "coefficients", "") == "constant") {
      speed_ok = speed_ok && speedup >= kStencilSpeedupTarget;
      stream_ok = stream_ok && fraction >= kStreamFractionTarget;
      have_same_size = have_same_size && same_fraction;
      same_size_ok =
          same_size_ok && same_fraction && same_fraction->get<double>() >= kStreamFractionTarget;
    }
    const auto gbs_of = [&](const char* key) {
      const Json* triad = member(c, key);
      return triad ? fmt("%.1f", number(*triad, "best_gbs")) : std::string("n/a");
    };
    out << "| " << text(c, "name") << " | " << fmt("%.0f", number(c, "rows")) << " | "
        << gbs_of("stream_triad") << " | " << gbs_of("stream_triad_same_size") << " | "
        << ms(number(mf.at("timing"), "best_s")) << " | " << fmt("%.1f", number(mf, "best_gbs"))
        << " | " << fmt("%.0f%%", 100.0 * fraction) << " | "
        << (same_fraction ? fmt("%.0f%%", 100.0 * same_fraction->get<double>())
                          : std::string("n/a"))
        << " | " << ms(number(aij.at("timing"), "best_s")) << " | "
        << fmt("%.1f", number(aij, "best_gbs")) << " | " << fmt("%.2fx", speedup) << " | "
        << ms(number(sh.at("timing"), "best_s")) << " | " << fmt("%.1f", number(sh, "best_gbs"))
        << " | " << fmt("%.2fx", number(c, "speedup_shell_vs_aij")) << " | "
        << sci(member(c, "max_relative_difference_vs_aij")) << " |\n";
  }
  out << "\nTargets (constant-coefficient cases): matrix-free apply >= "
      << fmt("%.0fx", kStencilSpeedupTarget) << " PETSc's MatMult: " << met(speed_ok)
      << "; matrix-free bandwidth >= " << fmt("%.0f%%", 100 * kStreamFractionTarget)
      << " of the STREAM triad: " << met(stream_ok) << "; of the same-size triad: "
      << (have_same_size ? met(same_size_ok) : std::string("not measured")) << ".\n\n";
  out << "How the matrix-free apply works (`solvers/src/stencil_operator.cpp`): with constant "
         "coefficients each row of cells along x is stored as runs of cells that share one "
         "stencil (interior, obstacle, domain face...), and each run is applied by a branch-free "
         "loop with the stencil's diagonal and face masks in registers, compiled for the baseline "
         "SSE2 and, with GCC on x86-64 Linux, also for AVX2 (`target_clones`, chosen at load "
         "time; no FMA, so both give the same bits); the few cells of short mixed stretches and "
         "the two ends of each row look their stencil up in a small table. Rows with the same "
         "classes share one pattern of runs, so an apply reads one 32-bit index per row besides "
         "x and y. Rows are applied in "
         "pairs across the outermost axis, chunk by chunk, so that the input rows the two share "
         "are read from memory once, and the input row read for the first time and the output "
         "row are prefetched in software 256 cells ahead (on an AMD EPYC one core's hardware "
         "prefetchers kept too few lines in flight; on an Intel Xeon the prefetches neither help "
         "nor hurt). The results are bit-identical to the per-cell kernel it "
         "replaced; *max rel. diff* is the largest difference from PETSc's MatMult relative to "
         "max |Ax|, which sums in another order.\n\n";
}

void cg_section(std::ostream& out, const Json& doc) {
  const Json& p = doc.at("problem");
  out << "## CG iteration: library vs PETSc KSPCG (`bench_cg`)\n\n";
  out << "Command: `" << command_text(member(doc.at("machine"), "command")) << "`\n\n";
  out << "Problem: " << string_or(p, "description", "?") << "; random right-hand side; "
      << fmt("%.0f", number_or(doc, "max_iterations", 0))
      << " iterations with rtol = atol = 0 so that every solver runs the same count; zero initial "
         "guess; one MPI rank. Time per iteration = solve time / iterations (best and median of "
      << fmt("%.0f", number_or(doc, "repetitions", 0))
      << " solves, the variants interleaved). *Operator* is one apply timed on its own; *rest* is "
         "the remainder of an iteration (vector operations and reductions).\n\n";
  out << "| variant | what | iterations | ms / iteration | median | operator ms | rest ms | "
         "speedup vs PETSc CG | final residual norm |\n";
  out << "|---|---|---:|---:|---:|---:|---:|---:|---:|\n";
  double lib_mf = 0.0;
  for (const Json& v : doc.at("variants")) {
    const std::string name = text(v, "name");
    if (name == "lib-mf-shell") lib_mf = number(v, "speedup_vs_petsc_cg");
    out << "| " << name << " | " << string_or(v, "description", "") << " | "
        << fmt("%.0f", number(v, "iterations")) << " | " << ms(number(v, "per_iteration_best_s"))
        << " | " << ms(number(v, "per_iteration_median_s")) << " | "
        << ms(number(v, "operator_apply_s")) << " | " << ms(number(v, "other_per_iteration_s"))
        << " | " << fmt("%.2fx", number(v, "speedup_vs_petsc_cg")) << " | "
        << fmt("%.6e", number(v, "final_residual_norm")) << " |\n";
  }
  double lib_direct = 0.0;
  for (const Json& v : doc.at("variants"))
    if (text(v, "name") == "lib-mf-direct") lib_direct = number(v, "speedup_vs_petsc_cg");
  if (const Json* ops = member(doc, "vector_operations")) {
    out << "\nThe vector operations on their own (best of 10, GB/s without write-allocate): "
           "PetscSpace (one PETSc Vec call each) against the same operations on plain arrays "
           "(EigenSpace). The same two vectors are used call after call, so part of them stays in "
           "cache: compare the two columns with each other, not with STREAM.\n\n";
    out << "| operation | B/row | PetscSpace ms | GB/s | EigenSpace ms | GB/s |\n";
    out << "|---|---:|---:|---:|---:|---:|\n";
    for (const Json& o : *ops) {
      const double rows = number(doc.at("problem"), "rows");
      out << "| " << text(o, "operation") << " | " << fmt("%.0f", number(o, "bytes") / rows)
          << " | " << ms(number(o.at("petsc_space"), "best_s")) << " | "
          << fmt("%.1f", number(o, "petsc_space_gbs")) << " | "
          << ms(number(o.at("eigen_space"), "best_s")) << " | "
          << fmt("%.1f", number(o, "eigen_space_gbs")) << " |\n";
    }
  }
  out << "\nWhere the time goes, counted as in the stencil section (B per row per iteration, "
         "without write-allocate): the library's CG calls one operator apply, two dot products "
         "(p.q, r.r: 16 + 8), two AXPYs (x, r: 24 + 24) and one AYPX (p: 24), 96 B of vector "
         "traffic; PETSc's KSPCG with PCNONE and the unpreconditioned norm adds a VecCopy r -> z "
         "(the PCNONE apply, 16), a VecNorm (8) and one more dot product (z.r, 16) against one "
         "fewer (r.r), 128 B. The operator is about 16 B matrix-free and about 100 B as AIJ. Each "
         "PetscSpace operation is one PETSc Vec call and one pass over memory.\n";
  out << "\nTarget: library matrix-free CG >= " << fmt("%.0fx", kCgSpeedupTarget)
      << " faster per iteration than PETSc's CG: with the DMDA MATSHELL (lib-mf-shell, "
      << fmt("%.2fx", lib_mf) << ") " << met(lib_mf >= kCgSpeedupTarget)
      << "; with the stencil on the Vec arrays (lib-mf-direct, " << fmt("%.2fx", lib_direct) << ") "
      << met(lib_direct >= kCgSpeedupTarget) << ".\n\n";
}

void classical_section(std::ostream& out, const std::vector<Json>& solves) {
  out << "## Classical solver table\n\n";
  if (solves.empty()) {
    out << "_Generated by `scripts/bench` from `poisson_solve --json` runs at 64^3 and 128^3; "
           "poisson_solve was not available when this file was generated._\n";
    return;
  }
  out << "Generated by `scripts/bench` from `poisson_solve --json` runs (one MPI rank).\n";
  for (const Json& doc : solves) {
    const Json* problem = member(doc, "problem");
    out << "\n### " << (problem ? string_or(*problem, "description", "?") : std::string("?"))
        << "\n\n";
    out << "Command: `" << command_text(member(doc, "command_line")) << "`";
    if (const Json* tol = member(doc, "tolerances"))
      out << "; rtol " << fmt("%g", number_or(*tol, "rtol", 0)) << ", max "
          << fmt("%.0f", number_or(*tol, "max_iterations", 0)) << " iterations";
    out << "\n\n";
    out << "| solver | iterations | setup s | solve s | true rel. residual | reason |\n";
    out << "|---|---:|---:|---:|---:|---|\n";
    const Json* rows = member(doc, "results");
    if (!rows) continue;
    for (const Json& r : *rows) {
      out << "| " << string_or(r, "solver", "?") << " | "
          << fmt("%.0f", number_or(r, "iterations", 0)) << " | "
          << fmt("%.3f", number_or(r, "setup_s", 0)) << " | "
          << fmt("%.3f", number_or(r, "solve_s", 0)) << " | "
          << sci(member(r, "true_relative_residual")) << " | " << string_or(r, "reason", "?")
          << " |\n";
    }
  }
}

// One poisson_solve run with a dcdm row, as the DCDM tables need it.
struct DcdmRun {
  int dim = 0;
  long long size = 0;  // cells per axis (the grids are cubes)
  std::string geometry, trained_geometry, trained_size, command;
  std::map<std::string, const Json*> rows;  // by solver name
  double apply_s = 0.0;
};

std::string solver_its(const DcdmRun& run, const std::string& solver) {
  const auto it = run.rows.find(solver);
  if (it == run.rows.end()) return "";
  const std::string its = fmt("%.0f", number_or(*it->second, "iterations", 0));
  return number_or(*it->second, "converged", 0) != 0 ? its : its + " (not conv.)";
}

double total_s(const Json& row) {
  return number_or(row, "setup_s", 0) + number_or(row, "solve_s", 0);
}

// The value of `--flag X` in a command line, or "".
std::string flag_value(const std::string& command, const std::string& flag) {
  std::istringstream words(command);
  std::string w;
  while (words >> w)
    if (w == flag && words >> w) return w;
  return "";
}

void dcdm_section(std::ostream& out, const std::vector<Json>& docs) {
  out << "## DCDM against the classical solvers\n\n";
  if (docs.empty()) {
    out << "_No DCDM runs: scripts/bench runs them when a shipped model exists in models/._\n";
    return;
  }
  std::vector<DcdmRun> runs;
  for (const Json& doc : docs) {
    DcdmRun run;
    const Json& problem = doc.at("problem");
    run.dim = static_cast<int>(number(problem, "dim"));
    run.size = static_cast<long long>(problem.at("size").at(0).get<double>());
    run.geometry = string_or(problem, "geometry", "?");
    run.apply_s = number_or(doc, "matrix_free_apply_s", 0);
    run.command = command_text(member(doc, "command_line"));
    const Json* settings = member(doc, "dcdm");
    if (const Json* trained = settings ? member(*settings, "trained_on") : nullptr) {
      run.trained_geometry = flag_value(string_or(*trained, "command", ""), "--geometry");
      run.trained_size = fmt("%.0f", trained->at("size").at(0).get<double>());
    }
    for (const Json& r : doc.at("results")) run.rows[text(r, "solver")] = &r;
    if (run.rows.count("dcdm")) runs.push_back(std::move(run));
  }
  std::sort(runs.begin(), runs.end(), [](const DcdmRun& a, const DcdmRun& b) {
    return std::tie(a.dim, a.geometry, a.size) < std::tie(b.dim, b.geometry, b.size);
  });
  out << "Generated by `scripts/bench` from `poisson_solve --json` runs (one MPI rank, rtol 1e-6 "
         "on the true residual, random right-hand side). Iterations per solver; DCDM uses the "
         "shipped model of its dimension. _total_ = setup + solve; _network_ = time inside the "
         "network; _rest/it_ = (DCDM solve time - network time) / iterations, in units of one "
         "matrix-free stencil apply measured in the same run. _trained on_ says how the grid "
         "differs from the model's training grid (the generalization columns).\n\n";
  out << "| grid | geometry | trained on | CG | ICC(0) | GAMG | BoomerAMG | GMG | DCDM | DCDM/ICC "
         "| DCDM total s | network s | rest/it (applies) | ICC total s | GMG total s |\n";
  out << "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n";
  // The grids are 2D 128^2-512^2 and 3D 32^3-128^3; the 64^2 rows (the 2D training size)
  // are shown and reported apart.
  auto target_grid = [](const DcdmRun& run) { return run.dim == 3 || run.size >= 128; };
  bool ratio_met = true, rest_met = true;
  double worst_ratio = 0.0, worst_other_ratio = 0.0;
  std::string worst_ratio_where, worst_other_where;
  for (const DcdmRun& run : runs) {
    const Json& d = *run.rows.at("dcdm");
    const double its = number_or(d, "iterations", 0);
    const double network = number_or(d, "network_s", 0);
    const double rest = its > 0 && run.apply_s > 0
                            ? (number_or(d, "solve_s", 0) - network) / its / run.apply_s
                            : 0.0;
    std::string ratio;
    if (run.rows.count("icc")) {
      const double r = its / number_or(*run.rows.at("icc"), "iterations", 1);
      ratio = fmt("%.2f", r);
      const std::string where =
          std::to_string(run.size) + (run.dim == 3 ? "^3 " : "^2 ") + run.geometry;
      if (target_grid(run)) {
        ratio_met = ratio_met && r <= kDcdmIccRatioTarget && number_or(d, "converged", 0) != 0;
        if (r > worst_ratio) std::tie(worst_ratio, worst_ratio_where) = std::tie(r, where);
      } else if (r > worst_other_ratio) {
        std::tie(worst_other_ratio, worst_other_where) = std::tie(r, where);
      }
    }
    rest_met = rest_met && rest <= kDcdmRestTarget;
    std::string trained = run.trained_size + (run.dim == 3 ? "^3 " : "^2 ") + run.trained_geometry;
    const bool same_size = std::to_string(run.size) == run.trained_size;
    if (same_size && run.geometry == run.trained_geometry)
      trained += " (same)";
    else if (!same_size)
      trained += fmt(" (%.0fx size)", static_cast<double>(run.size) /
                                          std::max(1.0, std::atof(run.trained_size.c_str())));
    auto total_of = [&](const std::string& solver) {
      const auto it = run.rows.find(solver);
      return it == run.rows.end() ? std::string() : fmt("%.2f", total_s(*it->second));
    };
    out << "| " << run.size << (run.dim == 3 ? "^3" : "^2") << " | " << run.geometry << " | "
        << trained << " | " << solver_its(run, "cg") << " | " << solver_its(run, "icc") << " | "
        << solver_its(run, "gamg") << " | " << solver_its(run, "boomeramg") << " | "
        << solver_its(run, "gmg") << " | " << solver_its(run, "dcdm") << " | " << ratio << " | "
        << fmt("%.2f", total_s(d)) << " | " << fmt("%.2f", network) << " | " << fmt("%.1f", rest)
        << " | " << total_of("icc") << " | " << total_of("gmg") << " |\n";
  }
  // Growth of the DCDM iteration count per doubling, along each (dim, geometry) series.
  double worst_growth = 0.0;
  std::string worst_where;
  for (std::size_t i = 1; i < runs.size(); ++i) {
    const DcdmRun &a = runs[i - 1], &b = runs[i];
    if (a.dim != b.dim || a.geometry != b.geometry || b.size != 2 * a.size || !target_grid(a))
      continue;
    const double g = number_or(*b.rows.at("dcdm"), "iterations", 0) /
                     std::max(1.0, number_or(*a.rows.at("dcdm"), "iterations", 0));
    if (g > worst_growth) {
      worst_growth = g;
      worst_where = std::to_string(a.size) + " -> " + std::to_string(b.size) + " (" +
                    std::to_string(a.dim) + "D " + a.geometry + ")";
    }
  }
  out << "\nTargets, on the issue's grids (2D 128^2-512^2, 3D 32^3-128^3): DCDM iterations <= "
      << fmt("%.2f", kDcdmIccRatioTarget) << " x ICC(0)'s on every one: worst "
      << fmt("%.2f", worst_ratio) << " (" << worst_ratio_where << "), " << met(ratio_met);
  if (!worst_other_where.empty())
    out << " (on the other rows, worst " << fmt("%.2f", worst_other_ratio) << " at "
        << worst_other_where << ")";
  out << ". Growth per doubling <= " << fmt("%.1fx", kDcdmGrowthTarget) << ": worst "
      << fmt("%.2fx", worst_growth) << " at " << worst_where << ", "
      << met(worst_growth <= kDcdmGrowthTarget)
      << ". Non-network part of an iteration <= " << fmt("%.0f", kDcdmRestTarget)
      << " stencil applies: " << met(rest_met) << ".\n\n";
  out << "Commands:\n\n";
  for (const DcdmRun& run : runs) out << "- `" << run.command << "`\n";
}

// bench_dcdm_inference + bench/dcdm_inference.py: one combined JSON per case (grid, threads).
void inference_section(std::ostream& out, const std::vector<Json>& docs) {
  out << "## DCDM inference: C++ vs PyTorch from Python\n\n";
  if (docs.empty()) {
    out << "_No inference runs: scripts/bench runs them when models/dcdm_2d.pt or dcdm_3d.pt "
           "exists and /usr/bin/python3 has torch._\n";
    return;
  }
  std::vector<const Json*> cases;
  for (const Json& d : docs) cases.push_back(&d);
  // The model path last, so that the order does not depend on the order of the files.
  auto key = [](const Json* d) {
    const Json& p = d->at("problem");
    const Json* model = member(d->at("cpp"), "model");
    return std::make_tuple(number(p, "dim"), number(p, "size"), number(*d, "threads"),
                           model ? string_or(*model, "path", "") : std::string());
  };
  std::sort(cases.begin(), cases.end(),
            [&](const Json* a, const Json* b) { return key(a) < key(b); });
  const Json& first = cases.front()->at("cpp");
  const Json* python = member(*cases.front(), "python");
  const double rounds = number_or(*cases.front(), "rounds", 1);
  out << "The same network, input, CPU and thread count, one process after the other"
      << (rounds > 1 ? ", in " + fmt("%.0f", rounds) +
                           " rounds (C++, Python, C++, ...; each side keeps its round with the "
                           "lowest minimum, so that a noisy stretch of the machine does not fall "
                           "on one side only)"
                     : std::string())
      << ": `bench_dcdm_inference` times `DcdmNet::forward` in C++ (LibTorch "
      << string_or(first, "torch_version", "?")
      << "), then `bench/dcdm_inference.py` rebuilds the network in PyTorch (torch "
      << (python ? string_or(*python, "torch_version", "?") : std::string("?"))
      << ") from the model's options, loads the same parameters, checks that its output matches "
         "the C++ output (*max rel. diff* = max |Python - C++| / max |output|; above "
      << fmt("%.0e", kInferenceMaxDifference)
      << " the comparison is void) and times the same calls. Batch 1, no autograd, eval mode, one "
         "warm-up call, then every call timed on its own: the minimum per call (the median in "
         "brackets). *solve apply* is `NetworkDirection::apply` (float64 in and out, the fluid "
         "mask: what a DCDM iteration calls), for information. See docs/dcdm.md.\n\n";
  out << "| grid | geometry | model | threads | calls | C++ ms/call | Python ms/call | C++ / "
         "Python | max rel. diff | solve apply ms | load avg |\n";
  out << "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---|\n";
  bool all_met = true;
  std::vector<std::string> commands;
  for (const Json* d : cases) {
    const Json& cpp = d->at("cpp");
    const Json& py = d->at("python");
    const Json& p = d->at("problem");
    const Json& c_fwd = cpp.at("forward");
    const Json& p_fwd = py.at("forward");
    const double rel = number(*d, "max_relative_difference");
    const bool valid = rel <= kInferenceMaxDifference;
    const double ratio = number(c_fwd, "best_s") / number(p_fwd, "best_s");
    all_met = all_met && valid && ratio <= kInferenceRatioTarget;
    const Json* model = member(cpp, "model");
    const double dim = number(p, "dim");
    out << "| " << fmt("%.0f", number(p, "size")) << (dim == 3 ? "^3" : "^2") << " | "
        << string_or(p, "geometry", "?") << " | "
        << (model ? shorten_absolute(string_or(*model, "path", "?")) : std::string("?")) << " | "
        << fmt("%.0f", number(*d, "threads")) << " | " << fmt("%.0f", number(*d, "reps")) << " | "
        << ms(number(c_fwd, "best_s")) << " (" << ms(number(c_fwd, "median_s")) << ") | "
        << ms(number(p_fwd, "best_s")) << " (" << ms(number(p_fwd, "median_s")) << ") | "
        << fmt("%.2f", ratio) << " | " << fmt("%.1e", rel) << (valid ? "" : " **void**") << " | "
        << (member(cpp, "direction_apply") ? ms(number(cpp.at("direction_apply"), "best_s"))
                                           : std::string("n/a"))
        << " | " << string_or(cpp.at("machine"), "load_average", "?") << " |\n";
    commands.push_back(command_text(member(cpp.at("machine"), "command")));
    commands.push_back(string_or(py, "executable", "python3") + " " +
                       command_text(member(py, "command")));
  }
  out << "\nTarget: C++ no slower than Python (C++ / Python <= "
      << fmt("%.2f", kInferenceRatioTarget)
      << " on the minimum per call, in every case, with matching outputs): " << met(all_met)
      << ".\n\nCommands:\n\n";
  for (const auto& c : commands) out << "- `" << c << "`\n";
}

// bench_unfolded --part inference + bench/unfolded_inference.py: one combined JSON per thread
// count, each with the networks of that run.
void unfolded_inference_section(std::ostream& out, const std::vector<Json>& docs) {
  out << "## Unfolded networks: batched inference, C++ vs PyTorch from Python\n\n";
  if (docs.empty()) {
    out << "_No runs: scripts/bench --only unfolded runs them (bench_unfolded and "
           "bench/unfolded_inference.py, with /usr/bin/python3 and torch)._\n";
    return;
  }
  std::vector<const Json*> runs;
  for (const Json& d : docs) runs.push_back(&d);
  // By thread count; the files' order (scripts/bench: one network per file) within one.
  std::stable_sort(runs.begin(), runs.end(), [](const Json* a, const Json* b) {
    return number(*a, "threads") < number(*b, "threads");
  });
  const Json& first = *runs.front();
  const Json* cpp_info = member(first, "cpp_info");
  const Json* py_info = member(first, "python_info");
  const double rounds = number_or(first, "rounds", 1);
  out << "The same networks, inputs, CPU and thread count, one process after the other"
      << (rounds > 1 ? ", in " + fmt("%.0f", rounds) +
                           " rounds (C++, Python, C++, ...; per network each side keeps its round "
                           "with the lowest minimum)"
                     : std::string())
      << ": `bench_unfolded` times `forward(y, A)` of each network in C++ (LibTorch "
      << (cpp_info ? string_or(*cpp_info, "torch_version", "?") : std::string("?"))
      << ") on a batch of " << fmt("%.0f", number_or(first, "problems", 0))
      << " test problems (float32 y of the seeded setup; unfolded ISTA gets the batch's A as a "
         "shared input, LISTA-CPSS and ALISTA hold theirs), then `bench/unfolded_inference.py` "
         "rebuilds each network in PyTorch (torch "
      << (py_info ? string_or(*py_info, "torch_version", "?") : std::string("?"))
      << ") from its options and parameters with the same torch operations, checks that its x_T "
         "matches the C++ one (*max rel. diff* = max |Python - C++| / max |x_T|; above "
      << fmt("%.0e", kUnfoldedMaxDifference)
      << " the comparison is void) and times the same calls. No autograd, one warm-up call, then "
         "every call timed on its own: the minimum per call (the median in brackets). Like the "
         "C++ `forward_layers`, the timed Python forward keeps every layer's output; *x_T only* "
         "is a Python forward that keeps only the last, for information. *Weights*: trained "
         "(a model file) or initialised (`initialise(A)` on the seeded A, the classical "
         "method's values; the time does not depend on them).\n\n";
  out << "| network | weights | layers | threads | calls | C++ s/call | Python s/call | C++ / "
         "Python | median of rounds | C++ faults/call | Python faults/call | Python x_T only s "
         "(faults) | max rel. diff | load avg |\n";
  out << "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n";
  bool all_met = true, paired_met = true;
  std::vector<std::string> commands;
  const auto faults = [](const Json& timing) {
    const Json* f = member(timing, "minor_faults_per_call");
    return f && f->is_number() ? fmt("%.0f", f->get<double>()) : std::string("n/a");
  };
  for (const Json* run : runs) {
    const Json* info = member(*run, "cpp_info");
    const std::string load = info && member(*info, "machine")
                                 ? string_or(info->at("machine"), "load_average", "?")
                                 : std::string("?");
    for (const Json& n : run->at("networks")) {
      const Json& c = n.at("cpp");
      const Json& p = n.at("python");
      const double rel = number(n, "max_relative_difference");
      const bool valid = rel <= kUnfoldedMaxDifference;
      const double ratio = number(c, "best_s") / number(p, "best_s");
      all_met = all_met && valid && ratio <= kUnfoldedInferenceRatioTarget;
      paired_met = paired_met && valid &&
                   number_or(n, "ratio_median_of_rounds", ratio) <= kUnfoldedInferenceRatioTarget;
      const Json* cn = member(n, "cpp_network");
      std::string weights = string_or(n, "weights", "?");
      if (cn && member(*cn, "path")) weights += " (" + shorten_absolute(text(*cn, "path")) + ")";
      out << "| " << string_or(n, "description", string_or(n, "type", "?")) << " | " << weights
          << " | " << fmt("%.0f", number_or(n, "layers", 0)) << " | "
          << fmt("%.0f", number(*run, "threads")) << " | " << fmt("%.0f", number(*run, "reps"))
          << " | " << fmt("%.3f", number(c, "best_s")) << " (" << fmt("%.3f", number(c, "median_s"))
          << ") | " << fmt("%.3f", number(p, "best_s")) << " ("
          << fmt("%.3f", number(p, "median_s")) << ") | " << fmt("%.2f", ratio) << " | "
          << (member(n, "ratio_median_of_rounds") ? fmt("%.2f", number(n, "ratio_median_of_rounds"))
                                                  : std::string("n/a"))
          << " | " << faults(c) << " | " << faults(p) << " | ";
      if (const Json* last = member(n, "python_last_only"))
        out << fmt("%.3f", number(*last, "best_s")) << " (" << faults(*last) << ")";
      else
        out << "n/a";
      out << " | " << fmt("%.1e", rel) << (valid ? "" : " **void**") << " | " << load << " |\n";
    }
    if (info && member(*info, "machine"))
      commands.push_back(command_text(member(info->at("machine"), "command")));
    if (const Json* py = member(*run, "python_info"))
      commands.push_back(string_or(*py, "executable", "python3") + " " +
                         command_text(member(*py, "command")));
  }
  out << "\n*C++ / Python* divides the two sides' best rounds; *median of rounds* is the median "
         "over the rounds of the ratio within each round (C++ and Python run back to back), "
         "which one quiet stretch of a shared machine cannot move. *Faults/call*: minor page "
         "faults per timed call (getrusage), memory the allocator had returned to the system and "
         "touches again. Both sides run the same LibTorch matrix products and thresholds (a max "
         "rel. diff of 0 is a bit-for-bit equal x_T); apart from the support selection (below), "
         "where the times differ, look at the faults first: pages touched anew cost the same "
         "time in either language. *x_T only* shows what a forward "
         "that keeps no intermediate layer outputs would save.\n";
  out << "\nTarget: C++ no slower than Python (C++ / Python <= "
      << fmt("%.2f", kUnfoldedInferenceRatioTarget)
      << " on the minimum per call, every network and thread count, with matching outputs): "
      << met(all_met) << "; on the median of the rounds' ratios: " << met(paired_met) << ".\n\n";

  out << "Where the time goes (C++, from the round whose time is kept): one layer's pieces timed "
         "alone on the same batch (best of the calls), times the layers: the residual y - A x "
         "and the update x + W^T r (two `addmm`), the threshold (soft, v - clamp(v, -t, t), or "
         "hard "
         "for IHT), and "
         "for LISTA-CPSS and ALISTA the support selection beyond its soft threshold (its "
         "count grows with the layer). In inference the C++ support selection is one fused "
         "pass per row (the count-th largest magnitude by `std::nth_element`, then the mask and "
         "the shrinkage; unfolded/src/support_selection.cpp); the Python side writes it as a "
         "PyTorch user would, a sorted `topk` per row, a mask and a `where`, and the last "
         "column is that `topk` alone at the largest count, timed in C++ (the same kernel).\n\n";
  out << "| network | threads | forward s | matmuls s | threshold s | support selection s | "
         "topk at the largest count, s/layer | sum s |\n";
  out << "|---|---:|---:|---:|---:|---:|---:|---:|\n";
  for (const Json* run : runs) {
    for (const Json& n : run->at("networks")) {
      const Json* cn = member(n, "cpp_network");
      const Json* b = cn ? member(*cn, "breakdown") : nullptr;
      if (!b) continue;
      const double T = number_or(n, "layers", 0);
      out << "| " << string_or(n, "type", "?") << " | " << fmt("%.0f", number(*run, "threads"))
          << " | " << fmt("%.3f", number(n.at("cpp"), "best_s")) << " | "
          << fmt("%.3f", T * (number(*b, "residual_matmul_s") + number(*b, "update_matmul_s")))
          << " | " << fmt("%.3f", T * number(*b, "threshold_s")) << " | "
          << (member(*b, "support_selection_extra_s")
                  ? fmt("%.3f", number(*b, "support_selection_extra_s"))
                  : std::string("-"))
          << " | "
          << (member(*b, "topk_at_max_count_s") ? fmt("%.4f", number(*b, "topk_at_max_count_s"))
                                                : std::string("-"))
          << " | " << fmt("%.3f", number(*b, "sum_over_layers_s")) << " |\n";
    }
  }
  out << "\nCommands (the first round of each):\n\n";
  for (const auto& c : commands) out << "- `" << c << "`\n";
}

// bench_unfolded --part trained: trained models against FISTA, their NMSE and objective.
void unfolded_trained_section(std::ostream& out, const Json* doc) {
  out << "## Unfolded networks: trained models against FISTA\n\n";
  const Json* models = doc ? member(*doc, "models") : nullptr;
  if (!models || models->empty()) {
    out << "_The targets against FISTA and on the NMSE and objective need trained models: "
           "`sparse_recovery reproduce --out models/unfolded` trains them on the standard setup; "
           "scripts/bench --only unfolded then uses them (UNFOLDED_MODELS names another "
           "folder). This run found none._\n";
    return;
  }
  const Json& fista = doc->at("fista");
  out << "Each model runs on " << fmt("%.0f", number_or(*doc, "problems", 0))
      << " test problems of the seeded setup it was trained on (its metadata), "
      << fmt("%.0f", number_or(*doc, "threads", 1))
      << " thread(s). *Network s* is its forward (minimum of the calls). FISTA (torch batch path, "
         "float32, step 1/L, same problems and threads) runs until the NMSE of the batch first "
         "reaches the network's at its last layer; its lambda is the one of a small grid (and "
         "the network's own for unfolded ISTA) that gets there in the fewest iterations on the "
         "first "
      << fmt("%.0f", number_or(fista, "select_problems", 0))
      << " problems (FISTA's most favourable lambda). *FISTA s* is a run of exactly that many "
         "iterations (runs longer than "
      << fmt("%.0f", number_or(fista, "time_max", 0))
      << " iterations timed over that many and scaled). When FISTA does not reach the NMSE "
         "within "
      << fmt("%.0f", number_or(fista, "cap", 0))
      << " iterations (or converges above it), the ratio is an upper bound (<).\n\n";
  out << "| model | network | data | NMSE at T dB | mean objective at T | network s | FISTA "
         "lambda | FISTA iterations | FISTA NMSE dB | FISTA s | network / FISTA | <= "
      << fmt("%.1f", kUnfoldedFistaRatioTarget) << " |\n";
  out << "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|\n";
  std::vector<std::string> fista_met_by, fista_missed_by;
  for (const Json& m : *models) {
    const Json& d = m.at("data");
    const Json* snr = member(d, "snr_db");
    const std::string data =
        fmt("%.0f", number(d, "measurements")) + "x" + fmt("%.0f", number(d, "signal_size")) +
        ", p " + fmt("%g", number(d, "sparsity")) + ", SNR " +
        (snr && snr->is_number() ? fmt("%g dB", snr->get<double>()) : std::string("inf")) +
        ", seed " + fmt("%.0f", number(d, "seed")) +
        (number_or(d, "redraw_matrix", 0) != 0 ? ", A redrawn" : "");
    out << "| " << string_or(m, "role", "?") << " (" << shorten_absolute(string_or(m, "path", "?"))
        << ") | " << string_or(m, "description", "?") << " | " << data << " | "
        << fmt("%.2f", number(m, "nmse_db")) << " | " << fmt("%.6g", number(m, "objective"))
        << " | " << fmt("%.3f", number(m.at("forward"), "best_s")) << " | ";
    if (const Json* f = member(m, "fista")) {
      const bool reached = number_or(*f, "reached", 0) != 0;
      const double ratio = number(*f, "ratio_network_over_fista");
      const bool ok = ratio <= kUnfoldedFistaRatioTarget;  // an upper bound when not reached
      (ok ? fista_met_by : fista_missed_by)
          .push_back(string_or(m, "role", "?") + " " + (reached ? "" : "< ") + fmt("%.3f", ratio));
      out << fmt("%g", number(*f, "lambda")) << " | "
          << (reached ? fmt("%.0f", number(*f, "iterations"))
                      : "not reached (" + fmt("%.0f", number(*f, "iterations")) + " run)")
          << " | " << fmt("%.2f", number(f->at("search"), "nmse_db")) << " | "
          << fmt("%.3f", number(*f, "seconds")) << " | " << (reached ? "" : "< ")
          << fmt("%.4f", ratio) << " | " << met(ok) << " |\n";
    } else {
      out << "- | - | - | - | - | - |\n";
    }
  }
  const auto join = [](const std::vector<std::string>& v) {
    std::string out;
    for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
    return out;
  };
  if (!fista_met_by.empty() || !fista_missed_by.empty())
    out << "\nTarget: a trained network takes <= " << fmt("%.1f", kUnfoldedFistaRatioTarget)
        << " x the time of FISTA run to the same NMSE: "
        << (fista_met_by.empty() ? std::string() : "met by " + join(fista_met_by))
        << (fista_met_by.empty() || fista_missed_by.empty() ? "" : "; ")
        << (fista_missed_by.empty() ? std::string() : "**not met** by " + join(fista_missed_by))
        << ".\n";

  // The objective and NMSE targets.
  const Json* unsup = nullptr;
  std::vector<const Json*> tied;  // LISTA-CPSS, ALISTA
  std::vector<const Json*> steps_only;
  for (const Json& m : *models) {
    const std::string role = string_or(m, "role", "");
    if (role == "ista-unsup") unsup = &m;
    if (role == "lista-cpss" || role == "alista") tied.push_back(&m);
    if (role == "ista-unsup" || role == "ista-sup") steps_only.push_back(&m);
  }
  out << "\n";
  if (unsup && member(*unsup, "reference")) {
    const Json& r = unsup->at("reference");
    const double gap = number(r, "relative_gap");
    out << "Objective: unsupervised unfolded ISTA (" << fmt("%.0f", number(*unsup, "layers"))
        << " layers, lambda " << fmt("%g", number(*unsup, "lambda")) << ") reaches a mean "
        << "objective of " << fmt("%.8g", number(*unsup, "objective")) << " against FISTA's "
        << fmt("%.8g", number(r, "objective")) << " after " << fmt("%.0f", number(r, "iterations"))
        << " iterations (float64, same problems): relative gap " << fmt("%+.2e", gap)
        << "; target <= " << fmt("%.0e", kUnfoldedObjectiveGapTarget) << ": "
        << met(gap <= kUnfoldedObjectiveGapTarget) << ".\n\n";
  } else {
    out << "Objective: no unsupervised unfolded ISTA model in this run.\n\n";
  }
  if (!tied.empty()) {
    bool nmse_met = true;
    out << "NMSE at layer 16 (target <= " << fmt("%.0f", kUnfoldedNmseTargetDb)
        << " dB at SNR 40 dB): ";
    for (std::size_t i = 0; i < tied.size(); ++i) {
      const Json& m = *tied[i];
      const Json* per_layer = member(m, "per_layer");
      // Layer 16, or the last one of a shallower network (which then cannot meet the target).
      std::size_t layer = per_layer ? std::min<std::size_t>(16, per_layer->size()) : 0;
      const double db = layer > 0 ? number(per_layer->at(layer - 1), "nmse_db") : 0.0;
      const Json* snr = member(m.at("data"), "snr_db");
      const bool at_40 = snr && snr->is_number() && snr->get<double>() == 40.0;
      nmse_met = nmse_met && layer == 16 && at_40 && db <= kUnfoldedNmseTargetDb;
      out << (i ? ", " : "") << string_or(m, "role", "?") << " " << fmt("%.2f dB", db)
          << (layer == 16 ? std::string() : " (layer " + std::to_string(layer) + ")")
          << (at_40 ? std::string() : " (not at SNR 40 dB)");
    }
    out << ": " << met(nmse_met) << ".";
    for (const Json* m : steps_only)
      out << " Unfolded ISTA with learned step sizes only (" << string_or(*m, "role", "?") << ", "
          << fmt("%.0f", number(*m, "layers"))
          << " layers): " << fmt("%.2f dB", number(*m, "nmse_db")) << ".";
    out << "\n";
  }
  out << "\nCommand: `" << command_text(member(doc->at("machine"), "command")) << "`\n";
}

// One line on the machine a benchmark ran on (its "machine" object): the BCD benchmarks run apart
// from the stencil run of the Machine table, on another day or under another load.
void machine_line(std::ostream& out, const Json* m) {
  if (!m) return;
  out << "Machine: " << string_or(*m, "cpu_model", "?") << ", "
      << fmt("%.0f", number_or(*m, "nproc", 0)) << " cores, " << string_or(*m, "compiler", "?")
      << ", " << string_or(*m, "build_type", "?") << " `" << trim(string_or(*m, "cxx_flags", "?"))
      << "`; load average at the start " << string_or(*m, "load_average", "?") << "; "
      << string_or(*m, "date", "?") << ".\n\n";
}

// bench_bcd_lasso: our Lasso against scikit-learn and glmnet, dense and sparse, one alpha and the
// path, all to the same duality gap.
void bcd_lasso_section(std::ostream& out, const Json* doc) {
  out << "## Block coordinate descent: Lasso against scikit-learn and glmnet "
         "(`bench_bcd_lasso`)\n\n";
  const Json* problems = doc ? member(*doc, "problems") : nullptr;
  if (!problems || problems->empty()) {
    out << "_No run: scripts/bench --only bcd-lasso runs it (bench_bcd_lasso; scikit-learn with "
           "/usr/bin/python3 and glmnet with Rscript where they are installed)._\n";
    return;
  }
  const Json* machine = member(*doc, "machine");
  out << "Command: `" << command_text(machine ? member(*machine, "command") : nullptr) << "`\n\n";
  machine_line(out, machine);
  const Json no_settings = Json::object();
  const Json* settings_ptr = member(*doc, "settings");
  const Json& settings = settings_ptr ? *settings_ptr : no_settings;
  const double path_alphas = number_or(problems->front().at("ours").at("path"), "alphas", 0);
  // The versions, from the first problem that ran each.
  std::string sklearn_version, glmnet_version;
  for (const Json& p : *problems) {
    const Json* sk = member(p, "sklearn");
    const Json* gl = member(p, "glmnet");
    if (sklearn_version.empty() && sk) sklearn_version = string_or(*sk, "version", "");
    if (glmnet_version.empty() && gl) glmnet_version = string_or(*gl, "version", "");
  }
  const auto version = [](const std::string& v) { return v.empty() ? v : " " + v; };
  out << "Our Lasso (`deepsolve::bcd`, working-set coordinate descent) against scikit-learn"
      << version(sklearn_version)
      << " (`Lasso` and `lasso_path`, `bench/bcd_lasso_sklearn.py`) and R's glmnet"
      << version(glmnet_version) << " (`bench/bcd_lasso_glmnet.R`) on the same problems"
      << (number_or(settings, "quick", 0) != 0 ? " (--quick: small problems)" : "")
      << ", for one alpha and for the path of " << fmt("%.0f", path_alphas)
      << " alphas from alpha_max down, all to the same duality gap, gap <= "
      << string_or(settings, "gap_target", "?") << " with tol "
      << fmt("%g", number_or(settings, "tol", 0))
      << "; the gap and objective of every solution are computed by the same C++ code. "
      << fmt("%.0f", number_or(settings, "threads", 1))
      << " thread(s) each; times are CPU seconds of the best of "
      << fmt("%.0f", number_or(settings, "reps", 1))
      << " runs (one run when it takes over 10 s). *scikit-learn / ours* and *glmnet / ours*: "
         "their time over ours (above 1: ours is faster). scikit-learn's tol is half ours (its "
         "test is gap <= tol ||y||^2 / n); its "
         "path stops after "
      << fmt("%.0f", number_or(settings, "sklearn_path_budget_s", 0))
      << " s at the end of an alpha and is then compared with our time on the alphas it reached. "
         "glmnet's thresh is a change test, not a gap: of the values tried ("
      << string_or(settings, "glmnet_thresh", "?") << ", each under a "
      << fmt("%.0f", number_or(settings, "glmnet_timeout_s", 0))
      << " s timeout), the loosest whose solution meets the gap target is used, separately for the "
         "single alpha and the path (every fit is listed below). *gap / target*: the duality gap "
         "over the target; *objective rel. diff*: |ours - theirs| / |theirs|; on a path, the worst "
         "alpha of each.\n\n";

  out << "| problem | samples | features | nonzeros of X | alpha_max | alpha (alpha / alpha_max) "
         "| nonzeros of the solution | gap target |\n";
  out << "|---|---:|---:|---:|---:|---:|---:|---:|\n";
  for (const Json& p : *problems) {
    out << "| " << string_or(p, "name", "?") << " | " << fmt("%.0f", number(p, "samples")) << " | "
        << fmt("%.0f", number(p, "features")) << " | " << fmt("%.0f", number(p, "nonzeros_X"))
        << " | " << fmt("%.6g", number(p, "alpha_max")) << " | " << fmt("%.6g", number(p, "alpha"))
        << " (" << fmt("%.4f", number(p, "alpha_ratio")) << ") | "
        << fmt("%.0f", number(p, "solution_nnz")) << " | " << sci(member(p, "gap_target"))
        << " |\n";
  }

  out << "\n| problem | case | ours s (epochs) | scikit-learn s | scikit-learn / ours | glmnet s "
         "[thresh] | glmnet / ours | gap / target: ours, scikit-learn, glmnet | objective rel. "
         "diff: scikit-learn, glmnet |\n";
  out << "|---|---|---:|---:|---:|---:|---:|---|---|\n";
  // The targets, per problem and case.
  bool sklearn_met = true, glmnet_met = true, objective_met = true, gaps_met = true;
  double worst_objective = 0.0;
  std::string worst_objective_where, sklearn_cases, glmnet_cases, gaps_missed;
  const auto add = [](std::string& list, const std::string& item) {
    list += (list.empty() ? "" : ", ") + item;
  };
  // A gap over its target; a missing one (null: NaN in the JSON) is not counted.
  const auto check_gap = [&](double ratio, const std::string& who) {
    if (ratio > 1.0) {
      gaps_met = false;
      add(gaps_missed, who + " " + fmt("%.2e", ratio));
    }
  };
  const auto check_objective = [&](const Json* diff, const std::string& who) {
    if (!diff || !diff->is_number()) return;
    const double d = diff->get<double>();
    objective_met = objective_met && d <= kBcdLassoObjectiveTarget;
    if (d >= worst_objective) std::tie(worst_objective, worst_objective_where) = std::tie(d, who);
  };
  for (const Json& p : *problems) {
    const std::string name = string_or(p, "name", "?");
    const Json& ours = p.at("ours");
    const Json* sk = member(p, "sklearn");
    const bool sk_ok = sk && !member(*sk, "error");
    const Json* gl = member(p, "glmnet");
    for (const std::string part : {"single", "path"}) {
      const bool single = part == "single";
      const std::string where = name + (single ? " single alpha" : " path");
      const Json& o = ours.at(part);
      const double ours_gap = single ? number(o, "duality_gap") / number(p, "gap_target")
                                     : number(o, "worst_gap_ratio");
      check_gap(ours_gap, where + " ours");
      const Json* s = sk_ok ? member(*sk, part) : nullptr;
      const Json* g = gl ? member(*gl, part) : nullptr;
      const char* gap_key = single ? "gap_ratio" : "worst_gap_ratio";
      const char* objective_key = single ? "objective_rel_diff" : "objective_max_rel_diff";
      std::string case_text =
          single ? "alpha = alpha_max / " + fmt("%.3g", 1.0 / number(p, "alpha_ratio")) + " (" +
                       fmt("%.0f", number(p, "solution_nnz")) + " nonzeros)"
                 : "path, " + fmt("%.0f", number(o, "alphas")) + " alphas (" +
                       fmt("%.0f", number_or(o, "nnz_last", 0)) + " nonzeros at the last)";
      out << "| " << name << " " << fmt("%.0f", number(p, "samples")) << "x"
          << fmt("%.0f", number(p, "features")) << " | " << case_text << " | "
          << fmt("%.4f", number(o, "time_s")) << " (" << fmt("%.0f", number_or(o, "epochs", 0))
          << ") | ";
      // scikit-learn
      if (s) {
        const double ratio = number(*s, "speedup_ours");
        const bool ok = ratio >= kBcdLassoSklearnTarget;
        sklearn_met = sklearn_met && ok;
        add(sklearn_cases, where + " " + fmt("%.2fx", ratio) + (ok ? "" : " (**not met**)"));
        const double reached = number_or(*s, "alphas", 0);
        out << fmt("%.4f", number(*s, "time_s"))
            << (!single && reached < number(o, "alphas")
                    ? " (" + fmt("%.0f", reached) + " alphas, budget; ours on them " +
                          fmt("%.4f", number(*s, "ours_time_s_same_alphas")) + ")"
                    : std::string())
            << " | " << fmt("%.2fx", ratio) << " | ";
        check_gap(number_or(*s, gap_key, 0), where + " scikit-learn");
        check_objective(member(*s, objective_key), where + ", scikit-learn");
      } else {
        sklearn_met = false;
        const std::string why = !sk ? "not run" : "failed";
        add(sklearn_cases, where + " " + why + " (**not met**)");
        out << why << " | - | ";
      }
      // glmnet
      if (g) {
        const double ratio = number(*g, "speedup_ours");
        const bool ok = ratio > kBcdLassoGlmnetTarget;
        glmnet_met = glmnet_met && ok;
        add(glmnet_cases, where + " " + fmt("%.2fx", ratio) + (ok ? "" : " (**not met**)"));
        out << fmt("%.4f", number(*g, "time_s")) << " [" << fmt("%g", number(*g, "thresh"))
            << "] | " << fmt("%.2fx", ratio) << " | ";
        check_gap(number_or(*g, gap_key, 0), where + " glmnet");
        check_objective(member(*g, objective_key), where + ", glmnet");
      } else {
        glmnet_met = false;
        const std::string why = !gl ? "not run" : "no thresh tried reached the gap target";
        add(glmnet_cases, where + " " + why + " (**not met**)");
        out << why << " | - | ";
      }
      out << fmt("%.2e", ours_gap) << ", " << (s ? sci(member(*s, gap_key)) : "-") << ", "
          << (g ? sci(member(*g, gap_key)) : "-") << " | "
          << (s ? sci(member(*s, objective_key)) : "-") << ", "
          << (g ? sci(member(*g, objective_key)) : "-") << " |\n";
    }
  }
  // Every glmnet fit, of which the table above shows the loosest that meets the gap target.
  bool any_fit = false;
  for (const Json& p : *problems) {
    const Json* gl = member(p, "glmnet");
    const Json* fits = gl ? member(*gl, "fits") : nullptr;
    if (!fits) continue;
    if (!any_fit) {
      out << "\nEvery glmnet fit (*used* marks the thresh in the table above):\n\n";
      out << "| problem | thresh | single s | passes | gap / target | objective rel. diff | path s "
             "| passes | alphas | worst gap / target | objective max rel. diff |\n";
      out << "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n";
      any_fit = true;
    }
    const auto used = [&](const char* part, const Json& fit) {
      const Json* chosen = member(*gl, part);
      return chosen && number(*chosen, "thresh") == number(fit, "thresh");
    };
    for (const Json& f : *fits) {
      out << "| " << string_or(p, "name", "?") << " | " << fmt("%g", number(f, "thresh"));
      const bool used_single = used("single", f), used_path = used("path", f);
      if (used_single || used_path)
        out << " (used: " << (used_single ? "single alpha" : "")
            << (used_single && used_path ? ", " : "") << (used_path ? "path" : "") << ")";
      if (member(f, "error")) {
        out << " | " << string_or(f, "error", "?") << " | - | - | - | - | - | - | - | - |\n";
        continue;
      }
      out << " | " << fmt("%.4f", number(f, "single_time_s")) << " | "
          << fmt("%.0f", number_or(f, "single_npasses", 0)) << " | "
          << sci(member(f, "single_gap_ratio")) << " | "
          << sci(member(f, "single_objective_rel_diff")) << " | "
          << fmt("%.4f", number(f, "path_time_s")) << " | "
          << fmt("%.0f", number_or(f, "path_npasses", 0)) << " | "
          << fmt("%.0f", number_or(f, "path_alphas", 0)) << " | "
          << sci(member(f, "path_worst_gap_ratio")) << " | "
          << sci(member(f, "path_objective_max_rel_diff")) << " |\n";
    }
  }
  out << "\nTargets: ours >= " << fmt("%.0fx", kBcdLassoSklearnTarget)
      << " faster than scikit-learn on the single alpha and the path, dense and sparse: "
      << met(sklearn_met) << " (" << sklearn_cases
      << "); faster than glmnet on all of them: " << met(glmnet_met) << " (" << glmnet_cases
      << "); the same objective to " << fmt("%.0e", kBcdLassoObjectiveTarget)
      << " relative: " << met(objective_met)
      << (worst_objective_where.empty()
              ? std::string(" (no objective compared)")
              : " (worst " + fmt("%.2e", worst_objective) + ", " + worst_objective_where + ")")
      << "; every solution compared at or below the gap target: " << met(gaps_met)
      << (gaps_missed.empty() ? std::string() : " (above it: " + gaps_missed + ")") << ".\n";
}

// bench_bcd_trees: tree-structured BCD against the library's CG on a large label-propagation
// lattice, time to a relative residual.
void bcd_trees_section(std::ostream& out, const Json* doc) {
  out << "## Block coordinate descent: tree BCD against CG on label propagation "
         "(`bench_bcd_trees`)\n\n";
  const Json* methods = doc ? member(*doc, "methods") : nullptr;
  if (!methods || methods->empty()) {
    out << "_No run: scripts/bench --only bcd-trees runs it (bench_bcd_trees)._\n";
    return;
  }
  const Json* machine = member(*doc, "machine");
  out << "Command: `" << command_text(machine ? member(*machine, "command") : nullptr) << "`\n\n";
  machine_line(out, machine);
  const Json& p = doc->at("problem");
  const double tol = number_or(*doc, "tolerance", 0);
  out << "Problem: " << string_or(p, "kind", "?") << ": " << fmt("%.0f", number(p, "rows")) << " x "
      << fmt("%.0f", number(p, "cols")) << " lattice, every weight "
      << fmt("%g", number_or(p, "weight", 0)) << ", " << fmt("%.0f", number_or(p, "labels", 0))
      << " labelled nodes with N(0, " << fmt("%g", number_or(p, "label_std", 0))
      << "^2) labels, seed " << fmt("%.0f", number_or(p, "seed", 0)) << ": "
      << fmt("%.0f", number(p, "unknowns"))
      << " unknowns, nnz(A) = " << fmt("%.0f", number_or(p, "nnz", 0)) << " (set-up "
      << fmt("%.2f", number_or(p, "setup_seconds", 0)) << " s, not counted). Every method starts "
      << "from x = 0 and stops at ||b - Ax|| / ||b|| <= " << fmt("%.0e", tol) << ", "
      << fmt("%.0f", number_or(*doc, "threads", 1))
      << " thread(s), one run each; *relative residual* is recomputed from each method's x. The "
         "tree rules solve each block (a forest) exactly by message passing; a run that stops at "
         "its time limit is not converged, and its time / CG is then a lower bound.\n\n";
  const std::map<std::string, std::string> what = {
      {"cg", "library CG (`krylov/cg.hpp`, EigenSpace, row-major CSR A)"},
      {"cg-jacobi", "library CG + Jacobi (a lambda preconditioner; the library has no named one)"},
      {"tree-partitions", "tree BCD, Tree Partitions (the lattice's 2 combs)"},
      {"greedy-tree", "tree BCD, Greedy Tree"}};
  out << "| method | what | seconds | iterations | relative residual | converged | time / CG | "
         "note |\n";
  out << "|---|---|---:|---:|---:|---|---:|---|\n";
  bool cg_converged = true;
  std::string ratios;
  double best_tree = 0.0;
  std::string best_tree_name;
  for (const Json& m : *methods) {
    const std::string name = string_or(m, "method", "?");
    const bool converged = number_or(m, "converged", 0) != 0;
    const double ratio = number(m, "time_over_cg");
    const std::string ratio_text = (converged ? "" : ">= ") + fmt("%.2f", ratio);
    const auto it = what.find(name);
    out << "| " << name << " | " << (it == what.end() ? std::string() : it->second) << " | "
        << fmt("%.3f", number(m, "seconds")) << " | " << fmt("%.0f", number(m, "iterations"))
        << " | " << sci(member(m, "relative_residual")) << " | " << (converged ? "yes" : "**no**")
        << " | " << ratio_text << " | " << string_or(m, "note", "") << " |\n";
    if (name == "cg") {
      cg_converged = converged;
      continue;
    }
    ratios += (ratios.empty() ? "" : ", ") + name + " " + ratio_text + "x";
    if (name.rfind("cg", 0) != 0 && (best_tree_name.empty() || ratio < best_tree))
      std::tie(best_tree, best_tree_name) = std::tie(ratio, name);
  }
  out << "\nNo numeric target (the issue asks for the time of tree BCD to a " << fmt("%.0e", tol)
      << " relative residual against the library's CG); time / CG: " << ratios
      << (best_tree_name.empty() ? std::string()
          : best_tree > 1.0 ? "; CG is faster than every tree rule (the best, " + best_tree_name +
                                  ", takes " + fmt("%.2f", best_tree) + "x its time)"
                            : "; " + best_tree_name + " is faster than CG")
      << (cg_converged ? "" : " (CG did not converge: these are not times to the same residual)")
      << ".\n";
}

// bench_diffusion_sampling: the library's Euler sampler with an mlp-denoiser against the same model
// and loop in PyTorch from Python, samples per second per batch size.
void diffusion_sampling_section(std::ostream& out, const Json* doc) {
  out << "## Diffusion: sampling throughput, C++ against PyTorch (`bench_diffusion_sampling`)\n\n";
  const Json* cases = doc ? member(*doc, "cases") : nullptr;
  if (!cases || cases->empty()) {
    out << "_No run: scripts/bench --only diffusion-sampling runs it (bench_diffusion_sampling; "
           "PyTorch with /usr/bin/python3)._\n";
    return;
  }
  const Json* machine = member(*doc, "machine");
  out << "Command: `" << command_text(machine ? member(*machine, "command") : nullptr) << "`\n\n";
  machine_line(out, machine);
  const Json no_object = Json::object();
  const Json* settings_ptr = member(*doc, "settings");
  const Json& settings = settings_ptr ? *settings_ptr : no_object;
  const Json* python_ptr = member(*doc, "python_info");
  const Json& python = python_ptr ? *python_ptr : no_object;
  out << "The model: " << string_or(settings, "network_description", "?") << " (`"
      << string_or(settings, "model_type", "?") << "`, initialised with a fixed seed: the weights "
      << "do not change the cost), " << string_or(settings, "prediction", "?")
      << " preconditioning with sigma_data " << fmt("%g", number_or(settings, "sigma_data", 0))
      << ". The sampler: " << string_or(settings, "sampler", "?") << " on the "
      << string_or(settings, "schedule", "?") << " schedule (sigma "
      << fmt("%g", number_or(settings, "sigma_min", 0)) << " .. "
      << fmt("%g", number_or(settings, "sigma_max", 0)) << ", rho "
      << fmt("%g", number_or(settings, "rho", 0)) << "), "
      << fmt("%.0f", number_or(settings, "steps", 0))
      << " network evaluations per sample, float32, class labels k mod the classes. C++: `"
      << string_or(settings, "cpp_api", "?") << "` (LibTorch "
      << string_or(*doc, "torch_version", "?")
      << "). PyTorch: `bench/diffusion_sampling_torch.py` (torch "
      << string_or(python, "torch_version", "?") << ", Python "
      << string_or(python, "python_version", "?")
      << ") builds the same network, loads the same weights, checks that its samples from the "
         "same noise agree with the C++ ones (*max rel. diff*) and runs the same loop under "
         "`torch.inference_mode`. "
      << fmt("%.0f", number_or(settings, "threads", 1))
      << " thread(s) each; time: " << string_or(settings, "time", "?") << " ("
      << fmt("%.0f", number_or(settings, "reps", 0)) << " samples per round, "
      << fmt("%.0f", number_or(settings, "rounds", 0))
      << " round(s) alternating C++ and Python); malloc: " << string_or(settings, "malloc", "?")
      << ". Samples/s = batch / best time per sampling run; *C++ / PyTorch* is the ratio of the "
         "two throughputs (above 1: C++ is faster).\n\n";
  if (member(*doc, "python_error"))
    out << "**No PyTorch comparison:** " << string_or(*doc, "python_error", "?") << ".\n\n";
  else if (number_or(python, "comparison_valid", 1) == 0)
    out << "**The PyTorch samples do not agree with the C++ ones: the comparison is void.**\n\n";

  out << "| batch | NFE (all samples) | C++ samples/s | PyTorch samples/s | C++ / PyTorch | max "
         "rel. "
         "diff |\n";
  out << "|---:|---:|---:|---:|---:|---:|\n";
  std::string met_batches, missed_batches;
  double largest_met = -1, smallest_missed = -1;
  const auto add = [](std::string& list, const std::string& item) {
    list += (list.empty() ? "" : ", ") + item;
  };
  for (const Json& c : *cases) {
    const double batch = number(c, "batch");
    const Json* py = member(c, "python");
    const Json* ratio = member(c, "speedup_cpp_over_python");
    out << "| " << fmt("%.0f", batch) << " | " << fmt("%.0f", number_or(c, "nfe", 0)) << " | "
        << fmt("%.0f", number(c.at("cpp"), "samples_per_s")) << " | "
        << (py ? fmt("%.0f", number(*py, "samples_per_s")) : std::string("-")) << " | "
        << (ratio ? fmt("%.2f", ratio->get<double>()) : std::string("-")) << " | "
        << sci(member(c, "max_relative_difference")) << " |\n";
    if (!ratio) continue;
    const std::string item = fmt("%.0f", batch) + " (" + fmt("%.2fx", ratio->get<double>()) + ")";
    if (ratio->get<double>() >= kDiffusionSamplingTarget) {
      add(met_batches, item);
      largest_met = std::max(largest_met, batch);
    } else {
      add(missed_batches, item);
      if (smallest_missed < 0 || batch < smallest_missed) smallest_missed = batch;
    }
  }
  out << "\nTarget: C++ sampling throughput >= " << fmt("%.1fx", kDiffusionSamplingTarget)
      << " PyTorch's: ";
  if (met_batches.empty() && missed_batches.empty()) {
    out << "not measured (no PyTorch timings).\n";
    return;
  }
  out << (missed_batches.empty() ? "met at every batch size (" + met_batches + ")"
          : met_batches.empty()
              ? "**not met** at any batch size (" + missed_batches + ")"
              : "met at batch " + met_batches + "; **not met** at batch " + missed_batches);
  if (!missed_batches.empty() && !met_batches.empty() && smallest_missed > largest_met)
    out << ". At the large batches both sides spend their time in the same ATen kernels (the "
           "network's matrix products and element-wise operations, the same LibTorch), so "
           "the ratio tends to 1; what C++ saves is the per-call overhead of the Python "
           "interpreter and its dispatch, which dominates only at small batches";
  out << ".\n";
}

// examples/diffusion_guidance compare: the guidance policies on mixture8, one table per run.
void diffusion_guidance_section(std::ostream& out, const Json* train,
                                const std::vector<Json>& runs) {
  out << "## Diffusion: guidance policies on mixture8 (`diffusion_guidance compare`)\n\n";
  if (runs.empty()) {
    out << "_No run: scripts/bench --only diffusion-guidance runs it "
           "(examples/diffusion_guidance)._\n";
    return;
  }
  if (train)
    out << "The model: `" << command_text(member(*train, "command")) << "` ("
        << fmt("%.0f", number_or(*train, "steps", 0)) << " training steps in "
        << fmt("%.1f", number_or(*train, "time_s", 0)) << " s, "
        << fmt("%.0f", number_or(*train, "threads", 1)) << " thread(s); held-out denoising loss "
        << fmt("%.4f", number_or(*train, "validation_loss", 0))
        << (number_or(*train, "stopped_early", 0) != 0 ? ", stopped early" : "") << ").\n\n";
  out << "Each table is one `compare` run: for each of mixture8's labels (8 isotropic Gaussians of "
         "standard deviation 0.2 at radius 2), every policy samples from the same starting noise "
         "as full CFG. *NFE per sample*: network evaluations per sample (full CFG: two per step); "
         "*saving*: 1 - NFE / full CFG's NFE; *seconds*: wall time of the sampling, all labels "
         "(LinearAG's fit not included); *swd_truth*: sliced Wasserstein distance to samples of "
         "the true conditional "
         "distribution (analytic for mixture8), mean over the labels, the quality measure of the "
         "targets. *swd_cfg* and *dist_cfg* measure agreement with full CFG's own samples from "
         "the same noise (sliced Wasserstein to them, and the mean distance sample by sample), "
         "not quality. The AG cutoff stops guiding a sample once the cosine of its conditional "
         "and unconditional predictions exceeds gamma_bar; *armed* (the library's default) "
         "counts only after a first cosine <= gamma_bar, since at sigma_max 80 the cosine starts "
         "near 1 and the paper's rule as written (`--ag-unarmed`) would stop guiding at the "
         "first step. With `--sigma-hi`, interval, ag and linear-ag do not guide above that "
         "noise level (the guidance interval's upper end; at the top of the schedule the "
         "estimates are mostly the input noise and guidance changes little), and the cosine "
         "cutoff works below it. LinearAG replaces unconditional evaluations by least-squares "
         "combinations of past estimates fitted on recorded CFG trajectories of other seeds.\n";

  int ag_met = 0, ag_total = 0, lag_met = 0, lag_total = 0;
  int ag_met_below = 0, lag_met_below = 0;  // met with a swd_truth well below full CFG's
  for (const Json& r : runs) {
    const std::string command = command_text(member(r, "command"));
    const bool unarmed = command.find("--ag-unarmed") != std::string::npos;
    const Json* labels = member(r, "labels");
    const std::string sigma_hi = flag_value(command, "--sigma-hi");
    out << "\n### w = " << fmt("%g", number_or(r, "scale", 0)) << ", gamma_bar "
        << fmt("%g", number_or(r, "gamma_bar", 0)) << ", "
        << (unarmed ? "the paper's unarmed cutoff" : "armed cutoff")
        << (sigma_hi.empty()
                ? std::string()
                : ", guidance (interval, ag, linear-ag) only where sigma <= " + sigma_hi)
        << "\n\n";
    out << "Command: `" << command << "`; " << fmt("%.0f", number_or(r, "count", 0))
        << " samples per label, " << (labels ? labels->size() : 0) << " labels, "
        << string_or(r, "sampler", "?") << " " << fmt("%.0f", number_or(r, "steps", 0))
        << " steps, " << fmt("%.0f", number_or(r, "threads", 1)) << " thread(s).\n\n";
    out << "| policy | NFE per sample | saving vs cfg | seconds | swd_truth | swd_cfg | dist_cfg "
           "|\n";
    out << "|---|---:|---:|---:|---:|---:|---:|\n";
    const Json* policies = member(r, "policies");
    const Json* cfg = nullptr;
    if (policies)
      for (const Json& p : *policies) {
        if (string_or(p, "policy", "") == "cfg") cfg = &p;
        const Json* swd = member(p, "swd_truth");
        out << "| " << string_or(p, "policy", "?") << " | "
            << fmt("%.2f", number(p, "nfe_per_sample")) << " | "
            << fmt("%.1f%%", 100 * number(p, "saving")) << " | " << fmt("%.3f", number(p, "time_s"))
            << " | "
            << (swd && swd->is_number() ? fmt("%.5f", swd->get<double>()) : std::string("-"))
            << " | " << fmt("%.5f", number(p, "swd_cfg")) << " | "
            << fmt("%.5f", number(p, "dist_cfg")) << " |\n";
      }
    const Json* cfg_swd = cfg ? member(*cfg, "swd_truth") : nullptr;
    out << "\nTargets (saving and swd_truth <= " << fmt("%.2f", 1 + kGuidanceSwdTolerance)
        << " x full CFG's";
    if (!cfg_swd || !cfg_swd->is_number()) {
      out << "): not evaluated (no full-CFG row with swd_truth).\n";
      continue;
    }
    const double base = cfg_swd->get<double>();
    out << ", " << fmt("%.5f", base) << "): ";
    bool first = true;
    std::string below_cfg;  // the policies well below full CFG's swd_truth
    for (const auto& [name, label, saving_target] :
         {std::make_tuple("ag", "AG", kGuidanceAgSavingTarget),
          std::make_tuple("linear-ag", "LinearAG", kGuidanceLinearAgSavingTarget)}) {
      const Json* row = nullptr;
      if (policies)
        for (const Json& p : *policies)
          if (string_or(p, "policy", "") == name) row = &p;
      if (!row) continue;
      const double saving = number(*row, "saving");
      const Json* swd = member(*row, "swd_truth");
      const double rel = swd && swd->is_number() ? swd->get<double>() / base - 1 : 0;
      const bool saving_ok = saving >= saving_target;
      const bool swd_ok = swd && swd->is_number() && rel <= kGuidanceSwdTolerance;
      const bool ok = saving_ok && swd_ok;
      const bool below = swd && swd->is_number() && rel < -kGuidanceSwdTolerance;
      if (ok && below) (std::string(name) == "ag" ? ag_met_below : lag_met_below) += 1;
      if (below)
        below_cfg += (below_cfg.empty() ? "" : ", ") + std::string(label) + " (" +
                     fmt("%+.0f%%", 100 * rel) + ")";
      (std::string(name) == "ag" ? ag_total : lag_total) += 1;
      if (ok) (std::string(name) == "ag" ? ag_met : lag_met) += 1;
      out << (first ? "" : "; ") << label << ": saving " << fmt("%.1f%%", 100 * saving)
          << " (target >= " << fmt("%.0f%%", 100 * saving_target)
          << (saving_ok ? ", reached" : ", missed") << "), swd_truth "
          << (swd && swd->is_number() ? fmt("%+.1f%%", 100 * rel) : std::string("missing"))
          << " against full CFG (target <= +" << fmt("%.0f%%", 100 * kGuidanceSwdTolerance)
          << (swd_ok ? ", reached" : ", missed") << "): " << met(ok);
      first = false;
    }
    out << (first ? "no AG or LinearAG row" : "") << ".";
    // Guidance at w > 1 samples a sharpened conditional, not the true one: when the unguided
    // model is closer to the truth than full CFG, a policy can lower swd_truth by guiding less.
    // The unguided row does not depend on w or gamma_bar: any run of the same model, count and
    // steps has it.
    const Json* none_swd = nullptr;
    for (const Json& other : runs) {
      const Json* other_policies = member(other, "policies");
      if (!other_policies || string_or(other, "model", "") != string_or(r, "model", "") ||
          number_or(other, "count", 0) != number_or(r, "count", 0) ||
          number_or(other, "steps", 0) != number_or(r, "steps", 0))
        continue;
      for (const Json& p : *other_policies)
        if (string_or(p, "policy", "") == "none" && member(p, "swd_truth") &&
            member(p, "swd_truth")->is_number())
          none_swd = member(p, "swd_truth");
    }
    if (!below_cfg.empty())
      out << " " << below_cfg << (below_cfg.find(',') == std::string::npos ? " has" : " have")
          << " a swd_truth well below full CFG's: guidance at w > 1 samples a sharpened "
             "distribution, "
          << (none_swd && none_swd->get<double>() < base
                  ? "and the unguided model (none, swd_truth " +
                        fmt("%.5f", none_swd->get<double>()) +
                        ") is closer to the true conditional than full CFG, "
                  : std::string())
          << "so a swd_truth below full CFG's can come from guiding less (samples nearer the "
             "unguided model's) rather than from reproducing CFG's distribution with fewer NFEs; "
             "swd_cfg and dist_cfg show how far the samples are from CFG's own.";
    out << "\n";
  }
  out << "\nIssue 26's targets: AG saves >= " << fmt("%.0f%%", 100 * kGuidanceAgSavingTarget)
      << " of the NFEs at <= " << fmt("%.0f%%", 100 * kGuidanceSwdTolerance)
      << " worse sliced Wasserstein (to the true conditional) than full CFG; LinearAG >= "
      << fmt("%.0f%%", 100 * kGuidanceLinearAgSavingTarget) << ". AG: met in " << ag_met << " of "
      << ag_total << " table(s)"
      << (ag_met_below > 0 ? ", " + std::to_string(ag_met_below) +
                                 " of them with a swd_truth well "
                                 "below full CFG's"
                           : std::string())
      << "; LinearAG: met in " << lag_met << " of " << lag_total << " table(s)"
      << (lag_met_below > 0 ? ", " + std::to_string(lag_met_below) +
                                  " of them with a swd_truth well "
                                  "below full CFG's"
                            : std::string())
      << (ag_met_below + lag_met_below > 0 ? " (see the notes under those tables)" : "") << ".\n";
}

// examples/smoke compare: the same moving-obstacle smoke run with several pressure solvers, one
// table per scene (bench/results/smoke_<scene>.json, the plots in docs/reproduction/smoke/).
void smoke_section(std::ostream& out, const std::vector<std::pair<std::string, Json>>& scenes) {
  out << "## Smoke simulation: a pressure solve every step, moving obstacle (`smoke compare`)\n\n";
  if (scenes.empty()) {
    out << "_No run: scripts/bench --only smoke runs it (examples/smoke)._\n";
    return;
  }
  out << "examples/smoke (docs/smoke.md) advects smoke past a disc/sphere moving on a horizontal "
         "sinusoid and solves the pressure Poisson system every step with each solver in turn, on "
         "the same scene from the same start. The geometry changes every step, so every solver "
         "redoes its set-up every step (AMG hierarchies, PFMG, ICC's factor; DCDM only the "
         "geometry-dependent inputs): *setup s* and *solve s* are summed over the steps, *total "
         "s* is their sum, *per step* is total / steps. *max divergence after* is the largest "
         "max-norm of the discrete divergence after projection over all steps. Target: DCDM's "
         "total <= "
      << fmt("%.1fx", kSmokeTotalRatioTarget)
      << " the fastest classical solver's (ICC(0), GAMG, BoomerAMG, GMG, PFMG) that ran the same "
         "steps, at the same tolerance.\n\n";
  const std::vector<std::string> classical = {"icc", "gamg", "boomeramg", "gmg", "pfmg"};
  for (const auto& [path, doc] : scenes) {
    const Json& scene = doc.at("scene");
    const Json& runs = doc.at("runs");
    const double steps = number_or(scene, "steps", 0);
    out << "### " << string_or(scene, "grid", "?") << ", " << fmt("%.0f", steps) << " steps, "
        << string_or(scene, "obstacle", "?") << " obstacle, rtol "
        << fmt("%g", number_or(scene, "rtol", 0)) << ", "
        << fmt("%.0f", number_or(scene, "ranks", 1)) << " rank(s)\n\n";
    out << "Command: `" << command_text(member(scene, "command")) << "`\n\n";
    const Json* dcdm = nullptr;
    for (const Json& r : runs)
      if (text(r.at("summary"), "solver") == "dcdm") dcdm = &r.at("summary");
    out << "| solver | description | steps | setup s | solve s | total s | per step ms | mean "
           "iterations | max divergence after | total / DCDM's |\n";
    out << "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n";
    const Json* best = nullptr;
    std::string unconverged;
    for (const Json& r : runs) {
      const Json& s = r.at("summary");
      const std::string solver = text(s, "solver");
      const double run_steps = number(s, "steps_run");
      const double total = number(s, "total_s");
      out << "| " << solver << " | " << string_or(s, "description", "?") << " | "
          << fmt("%.0f", run_steps) << " | " << fmt("%.2f", number(s, "setup_s")) << " | "
          << fmt("%.2f", number(s, "solve_s")) << " | " << fmt("%.2f", total) << " | "
          << (run_steps > 0 ? ms(total / run_steps) : std::string("-")) << " | "
          << fmt("%.1f", number(s, "mean_iterations")) << " | " << sci(member(s, "max_divergence"))
          << " | "
          << (dcdm && number(*dcdm, "total_s") > 0 ? fmt("%.2f", total / number(*dcdm, "total_s"))
                                                   : std::string("-"))
          << " |\n";
      if (number_or(s, "all_converged", 1) == 0)
        unconverged += (unconverged.empty() ? "" : ", ") + solver;
      const bool is_classical =
          std::find(classical.begin(), classical.end(), solver) != classical.end();
      if (is_classical && dcdm && run_steps == number(*dcdm, "steps_run") &&
          (!best || total < number(*best, "total_s")))
        best = &s;
    }
    out << "\n";
    if (!unconverged.empty())
      out << "**Some pressure solves did not converge** (" << unconverged
          << "): their steps record the reason; their times are of runs that stopped early or at "
             "the iteration limit.\n\n";
    out << "Target: DCDM's total <= " << fmt("%.1fx", kSmokeTotalRatioTarget)
        << " the best classical solver's: ";
    if (!dcdm || !best) {
      out << "not measured (" << (dcdm ? "no classical solver" : "no DCDM run") << ").\n\n";
    } else {
      const double ratio = number(*dcdm, "total_s") / number(*best, "total_s");
      out << "DCDM " << fmt("%.2f s", number(*dcdm, "total_s")) << " vs " << text(*best, "solver")
          << " " << fmt("%.2f s", number(*best, "total_s")) << " = " << fmt("%.2fx", ratio) << ", "
          << met(ratio <= kSmokeTotalRatioTarget) << ".\n\n";
    }
    // The plots scripts/bench copies next to this file (not in --quick runs).
    auto name = path.substr(path.find_last_of('/') + 1);
    if (name.rfind("smoke_", 0) == 0) name = name.substr(6);
    if (name.size() > 5 && name.substr(name.size() - 5) == ".json") name.resize(name.size() - 5);
    const std::string image = "reproduction/smoke/" + name;
    if (std::ifstream("docs/" + image + "_iterations.png"))
      out << "![iterations per step](" << image
          << "_iterations.png) ![pressure-solve time per step](" << image << "_time.png)\n\n";
  }
}

int run(int argc, char** argv) {
  std::string out_path, command = "scripts/bench", stencil_path, cg_path;
  std::vector<std::string> solve_paths, dcdm_paths, inference_paths, unfolded_inference_paths;
  std::string unfolded_trained_path, bcd_lasso_path, bcd_trees_path;
  std::string diffusion_sampling_path, diffusion_guidance_train_path;
  std::vector<std::string> diffusion_guidance_paths, smoke_paths;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (i + 1 >= argc) throw std::invalid_argument("option " + a + " needs a value");
    const std::string v = argv[++i];
    if (a == "--out")
      out_path = v;
    else if (a == "--command")
      command = v;
    else if (a == "--stencil")
      stencil_path = v;
    else if (a == "--cg")
      cg_path = v;
    else if (a == "--solve")
      solve_paths.push_back(v);
    else if (a == "--dcdm")
      dcdm_paths.push_back(v);
    else if (a == "--inference")
      inference_paths.push_back(v);
    else if (a == "--unfolded-inference")
      unfolded_inference_paths.push_back(v);
    else if (a == "--unfolded-trained")
      unfolded_trained_path = v;
    else if (a == "--bcd-lasso")
      bcd_lasso_path = v;
    else if (a == "--bcd-trees")
      bcd_trees_path = v;
    else if (a == "--diffusion-sampling")
      diffusion_sampling_path = v;
    else if (a == "--diffusion-guidance-train")
      diffusion_guidance_train_path = v;
    else if (a == "--diffusion-guidance")
      diffusion_guidance_paths.push_back(v);
    else if (a == "--smoke")
      smoke_paths.push_back(v);
    else
      throw std::invalid_argument("unknown option " + a);
  }
  if (out_path.empty()) throw std::invalid_argument("--out FILE is required");

  std::ostringstream out;
  out << "# Benchmarks\n\n";
  out << "<!-- Generated by scripts/bench (bench/bench_report.cpp) from bench/results/*.json; do "
         "not "
         "edit by hand, rerun scripts/bench. -->\n\n";
  out << "Generated by `" << command
      << "`. Reproduce with `scripts/bench`: it builds the benchmarks (Release, in `build-bench`), "
         "runs them, writes `bench/results/*.json` and regenerates this file. Benchmarks measure "
         "and report; they do not assert. The machine may be shared: the best of several samples "
         "is reported next to the median, and the load average at the start is recorded.\n\n";
  Json stencil, cg;
  if (!stencil_path.empty()) stencil = load(stencil_path);
  if (!cg_path.empty()) cg = load(cg_path);
  std::vector<Json> solves;
  for (const auto& p : solve_paths) solves.push_back(load(p));

  out << "## Machine\n\n";
  if (!stencil.is_null())
    machine_section(out, stencil);
  else if (!cg.is_null())
    machine_section(out, cg);
  else
    out << "_No benchmark results._\n\n";

  if (!stencil.is_null()) stencil_section(out, stencil);
  if (!cg.is_null()) cg_section(out, cg);
  classical_section(out, solves);
  std::vector<Json> dcdm_runs;
  for (const auto& p : dcdm_paths) dcdm_runs.push_back(load(p));
  out << "\n";
  dcdm_section(out, dcdm_runs);
  std::vector<Json> inference_runs;
  for (const auto& p : inference_paths) inference_runs.push_back(load(p));
  out << "\n";
  inference_section(out, inference_runs);
  std::vector<Json> unfolded_runs;
  for (const auto& p : unfolded_inference_paths) unfolded_runs.push_back(load(p));
  out << "\n";
  unfolded_inference_section(out, unfolded_runs);
  Json unfolded_trained;
  if (!unfolded_trained_path.empty()) unfolded_trained = load(unfolded_trained_path);
  out << "\n";
  unfolded_trained_section(out, unfolded_trained.is_null() ? nullptr : &unfolded_trained);
  Json bcd_lasso, bcd_trees;
  if (!bcd_lasso_path.empty()) bcd_lasso = load(bcd_lasso_path);
  if (!bcd_trees_path.empty()) bcd_trees = load(bcd_trees_path);
  out << "\n";
  bcd_lasso_section(out, bcd_lasso.is_null() ? nullptr : &bcd_lasso);
  out << "\n";
  bcd_trees_section(out, bcd_trees.is_null() ? nullptr : &bcd_trees);
  Json diffusion_sampling, diffusion_guidance_train;
  if (!diffusion_sampling_path.empty()) diffusion_sampling = load(diffusion_sampling_path);
  if (!diffusion_guidance_train_path.empty())
    diffusion_guidance_train = load(diffusion_guidance_train_path);
  std::vector<Json> diffusion_guidance_runs;
  for (const auto& p : diffusion_guidance_paths) diffusion_guidance_runs.push_back(load(p));
  out << "\n";
  diffusion_sampling_section(out, diffusion_sampling.is_null() ? nullptr : &diffusion_sampling);
  out << "\n";
  diffusion_guidance_section(
      out, diffusion_guidance_train.is_null() ? nullptr : &diffusion_guidance_train,
      diffusion_guidance_runs);
  std::vector<std::pair<std::string, Json>> smoke_runs;
  for (const auto& p : smoke_paths) smoke_runs.emplace_back(p, load(p));
  out << "\n";
  smoke_section(out, smoke_runs);

  std::ofstream file(out_path);
  if (!file) throw std::runtime_error("cannot write " + out_path);
  file << out.str();
  return file ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_report: %s\n", e.what());
    return 1;
  }
}
