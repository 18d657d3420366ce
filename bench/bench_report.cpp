// bench_report: renders docs/benchmarks.md from the JSON files the benchmarks (and poisson_solve
// --json) write. Needs nothing but the C++ standard library and nlohmann-json, so scripts/bench
// works without Python.
//
//   bench_report --out docs/benchmarks.md --command "scripts/bench" [--stencil stencil.json]
//                [--cg cg.json] [--solve poisson_solve_64.json]... [--results-dir bench/results]
#include <algorithm>
#include <cstdio>
#include <exception>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
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
  return m && (m->is_number() || m->is_boolean()) ? m->get<double>() : fallback;
}

std::string string_or(const Json& j, const std::string& key, const std::string& fallback) {
  const Json* m = member(j, key);
  return m && m->is_string() ? m->get<std::string>() : fallback;
}

// Targets of the foundation issue.
constexpr double kStencilSpeedupTarget = 3.0;   // matrix-free apply vs PETSc's MatMult
constexpr double kStreamFractionTarget = 0.70;  // matrix-free GB/s vs the STREAM triad
constexpr double kCgSpeedupTarget = 2.0;        // library matrix-free CG vs KSPCG, per iteration

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
  out << "| case | rows | triad GB/s | matrix-free ms | GB/s | % of STREAM | AIJ MatMult ms | "
         "GB/s | matrix-free / AIJ | DMDA shell ms | GB/s | shell / AIJ | max rel. diff |\n";
  out << "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n";
  bool speed_ok = true, stream_ok = true;
  for (const Json& c : doc.at("cases")) {
    const Json& mf = c.at("matrix_free");
    const Json& aij = c.at("petsc_aij");
    const Json& sh = c.at("dmda_shell");
    const double speedup = number(c, "speedup_matrix_free_vs_aij");
    const double fraction = number(c, "matrix_free_fraction_of_stream");
    if (string_or(c, "coefficients", "") == "constant") {
      speed_ok = speed_ok && speedup >= kStencilSpeedupTarget;
      stream_ok = stream_ok && fraction >= kStreamFractionTarget;
    }
    const Json* triad = member(c, "stream_triad");
    out << "| " << text(c, "name") << " | " << fmt("%.0f", number(c, "rows")) << " | "
        << (triad ? fmt("%.1f", number(*triad, "best_gbs")) : std::string("n/a")) << " | "
        << ms(number(mf.at("timing"), "best_s")) << " | " << fmt("%.1f", number(mf, "best_gbs"))
        << " | " << fmt("%.0f%%", 100.0 * fraction) << " | "
        << ms(number(aij.at("timing"), "best_s")) << " | " << fmt("%.1f", number(aij, "best_gbs"))
        << " | " << fmt("%.2fx", speedup) << " | " << ms(number(sh.at("timing"), "best_s")) << " | "
        << fmt("%.1f", number(sh, "best_gbs")) << " | "
        << fmt("%.2fx", number(c, "speedup_shell_vs_aij")) << " | "
        << sci(member(c, "max_relative_difference_vs_aij")) << " |\n";
  }
  out << "\nTargets (constant-coefficient cases): matrix-free apply >= "
      << fmt("%.0fx", kStencilSpeedupTarget) << " PETSc's MatMult: " << met(speed_ok)
      << "; matrix-free bandwidth >= " << fmt("%.0f%%", 100 * kStreamFractionTarget)
      << " of the STREAM triad: " << met(stream_ok) << ".\n\n";
  out << "How the matrix-free apply works (`solvers/src/stencil_operator.cpp`): with constant "
         "coefficients each row of cells along x is stored as runs of cells that share one "
         "stencil (interior, obstacle, domain face...), and each run is applied by a branch-free "
         "loop with the stencil's diagonal and face masks in registers, compiled for the baseline "
         "SSE2 and, with GCC on x86-64 Linux, also for AVX2 (`target_clones`, chosen at load "
         "time; no FMA, so both give the same bits); the few cells of short mixed stretches and "
         "the two ends of each row look their stencil up in a small table. Rows are applied in "
         "pairs across the outermost axis, chunk by chunk, so that the input rows the two share "
         "are read from memory once. The results are bit-identical to the per-cell kernel it "
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

int run(int argc, char** argv) {
  std::string out_path, command = "scripts/bench", stencil_path, cg_path;
  std::vector<std::string> solve_paths;
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
