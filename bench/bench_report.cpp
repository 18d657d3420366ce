// bench_report: renders docs/benchmarks.md from the JSON files the benchmarks (and poisson_solve
// --json) write. Needs nothing but the C++ standard library, so scripts/bench works without Python.
//
//   bench_report --out docs/benchmarks.md --command "scripts/bench" [--stencil stencil.json]
//                [--cg cg.json] [--solve poisson_solve_64.json]... [--results-dir bench/results]
#include <algorithm>
#include <cstdio>
#include <exception>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "json.hpp"

namespace {

using deepsolve::bench::Json;

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
  return v && v->is_number() ? fmt("%.2e", v->number()) : "n/a";
}

std::string met(bool ok) {
  return ok ? "met" : "**not met**";
}

// A path shortened to its file name ("/x/build-bench/bench/bench_cg" -> "bench_cg").
std::string file_name(const std::string& s) {
  const auto slash = s.find_last_of('/');
  return slash != std::string::npos && slash + 1 < s.size() ? s.substr(slash + 1) : s;
}

// A command line stored as a string or as an argv array, with paths shortened to file names.
std::string command_text(const Json* c) {
  if (!c) return "?";
  std::vector<std::string> words;
  if (c->is_string()) {
    std::istringstream in(c->string());
    for (std::string w; in >> w;) words.push_back(w);
  } else {
    for (const Json& a : c->items())
      if (a.is_string()) words.push_back(a.string());
  }
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : " ") + file_name(w);
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
    return Json::parse(ss.str());
  } catch (const std::exception& e) {
    throw std::runtime_error(path + ": " + e.what());
  }
}

void machine_section(std::ostream& out, const Json& doc) {
  const Json& m = doc["machine"];
  out << "| | |\n|---|---|\n";
  out << "| CPU | " << m.string_or("cpu_model", "?") << " |\n";
  out << "| Cores (nproc) | " << fmt("%.0f", m.number_or("nproc", 0)) << " |\n";
  out << "| Load average at start | " << m.string_or("load_average", "?") << " |\n";
  out << "| Compiler | " << m.string_or("compiler", "?") << " |\n";
  out << "| Build type, flags | " << m.string_or("build_type", "?") << ", `"
      << trim(m.string_or("cxx_flags", "?")) << "` |\n";
  out << "| PETSc | " << doc.string_or("petsc_version", "?")
      << (doc.find("sizeof_petsc_int")
              ? fmt(" (%.0f-byte PetscInt)", doc["sizeof_petsc_int"].number())
              : std::string())
      << " |\n";
  out << "| Date | " << m.string_or("date", "?") << " |\n\n";
}

// "0.19-0.24 B/row in these cases": the constant-coefficient metadata per row, from the results.
std::string metadata_note(const Json& doc) {
  double lo = 1e300, hi = 0.0;
  for (const Json& c : doc["cases"].items()) {
    if (c.string_or("coefficients", "") != "constant") continue;
    const double per_row = c["matrix_free"]["bytes"].number() / c["rows"].number() - 16.0;
    lo = std::min(lo, per_row);
    hi = std::max(hi, per_row);
  }
  if (hi == 0.0) return "none measured";
  return fmt("%.2f", lo) + "-" + fmt("%.2f", hi) + " B/row in these cases";
}

void stencil_section(std::ostream& out, const Json& doc) {
  const Json& stream = doc["stream_triad"];
  const double stream_gbs = stream["best_gbs"].number();
  out << "## Matrix-free stencil vs PETSc MatMult (`bench_stencil`)\n\n";
  out << "Command: `" << command_text(doc["machine"].find("command")) << "`\n\n";
  out << "STREAM triad (`" << stream.string_or("kernel", "") << "`, three arrays of "
      << fmt("%.0f", stream["array_mib"].number())
      << " MiB, 24 B/element, measured in the same run): "
      << "**" << fmt("%.1f", stream_gbs) << " GB/s** best, "
      << fmt("%.1f", stream["median_gbs"].number()) << " GB/s median.\n\n";
  out << "Times are per apply, the best of " << fmt("%.0f", doc.number_or("repetitions", 0))
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
      << fmt("%.0f", doc.number_or("sizeof_petsc_int", 4))
      << " B column index) + (rows + 1) row pointers + x + y;\n"
      << "- DMDA MATSHELL (`DmdaPoisson::apply_matrix_free`, what CG calls): the matrix-free "
         "bytes; "
         "its ghost exchange (on one rank a copy of x into the local vector, 16 B/row more) is not "
         "counted, so its GB/s is the useful bandwidth.\n\n";
  out << "| case | rows | triad GB/s | matrix-free ms | GB/s | % of STREAM | AIJ MatMult ms | "
         "GB/s | matrix-free / AIJ | DMDA shell ms | GB/s | shell / AIJ | max rel. diff |\n";
  out << "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n";
  bool speed_ok = true, stream_ok = true;
  for (const Json& c : doc["cases"].items()) {
    const Json& mf = c["matrix_free"];
    const Json& aij = c["petsc_aij"];
    const Json& sh = c["dmda_shell"];
    const double speedup = c["speedup_matrix_free_vs_aij"].number();
    const double fraction = c["matrix_free_fraction_of_stream"].number();
    if (c.string_or("coefficients", "") == "constant") {
      speed_ok = speed_ok && speedup >= kStencilSpeedupTarget;
      stream_ok = stream_ok && fraction >= kStreamFractionTarget;
    }
    const Json* triad = c.find("stream_triad");
    out << "| " << c["name"].string() << " | " << fmt("%.0f", c["rows"].number()) << " | "
        << (triad ? fmt("%.1f", (*triad)["best_gbs"].number()) : std::string("n/a")) << " | "
        << ms(mf["timing"]["best_s"].number()) << " | " << fmt("%.1f", mf["best_gbs"].number())
        << " | " << fmt("%.0f%%", 100.0 * fraction) << " | " << ms(aij["timing"]["best_s"].number())
        << " | " << fmt("%.1f", aij["best_gbs"].number()) << " | " << fmt("%.2fx", speedup) << " | "
        << ms(sh["timing"]["best_s"].number()) << " | " << fmt("%.1f", sh["best_gbs"].number())
        << " | " << fmt("%.2fx", c["speedup_shell_vs_aij"].number()) << " | "
        << sci(c.find("max_relative_difference_vs_aij")) << " |\n";
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
  const Json& p = doc["problem"];
  out << "## CG iteration: library vs PETSc KSPCG (`bench_cg`)\n\n";
  out << "Command: `" << command_text(doc["machine"].find("command")) << "`\n\n";
  out << "Problem: " << p.string_or("description", "?") << "; random right-hand side; "
      << fmt("%.0f", doc.number_or("max_iterations", 0))
      << " iterations with rtol = atol = 0 so that every solver runs the same count; zero initial "
         "guess; one MPI rank. Time per iteration = solve time / iterations (best and median of "
      << fmt("%.0f", doc.number_or("repetitions", 0))
      << " solves, the variants interleaved). *Operator* is one apply timed on its own; *rest* is "
         "the remainder of an iteration (vector operations and reductions).\n\n";
  out << "| variant | what | iterations | ms / iteration | median | operator ms | rest ms | "
         "speedup vs PETSc CG | final residual norm |\n";
  out << "|---|---|---:|---:|---:|---:|---:|---:|---:|\n";
  double lib_mf = 0.0;
  for (const Json& v : doc["variants"].items()) {
    const std::string name = v["name"].string();
    if (name == "lib-mf-shell") lib_mf = v["speedup_vs_petsc_cg"].number();
    out << "| " << name << " | " << v.string_or("description", "") << " | "
        << fmt("%.0f", v["iterations"].number()) << " | " << ms(v["per_iteration_best_s"].number())
        << " | " << ms(v["per_iteration_median_s"].number()) << " | "
        << ms(v["operator_apply_s"].number()) << " | " << ms(v["other_per_iteration_s"].number())
        << " | " << fmt("%.2fx", v["speedup_vs_petsc_cg"].number()) << " | "
        << fmt("%.6e", v["final_residual_norm"].number()) << " |\n";
  }
  double lib_direct = 0.0;
  for (const Json& v : doc["variants"].items())
    if (v["name"].string() == "lib-mf-direct") lib_direct = v["speedup_vs_petsc_cg"].number();
  if (const Json* ops = doc.find("vector_operations")) {
    out << "\nThe vector operations on their own (best of 10, GB/s without write-allocate): "
           "PetscSpace (one PETSc Vec call each) against the same operations on plain arrays "
           "(EigenSpace).\n\n";
    out << "| operation | B/row | PetscSpace ms | GB/s | EigenSpace ms | GB/s |\n";
    out << "|---|---:|---:|---:|---:|---:|\n";
    for (const Json& o : ops->items()) {
      const double rows = doc["problem"]["rows"].number();
      out << "| " << o["operation"].string() << " | " << fmt("%.0f", o["bytes"].number() / rows)
          << " | " << ms(o["petsc_space"]["best_s"].number()) << " | "
          << fmt("%.1f", o["petsc_space_gbs"].number()) << " | "
          << ms(o["eigen_space"]["best_s"].number()) << " | "
          << fmt("%.1f", o["eigen_space_gbs"].number()) << " |\n";
    }
  }
  out << "\nWhere the time goes, counted as in the stencil section (B per row per iteration, "
         "without write-allocate): the library's CG calls one operator apply, two dot products "
         "(p.q, r.r: 16 + 8), two AXPYs (x, r: 24 + 24) and one AYPX (p: 24), 96 B of vector "
         "traffic; PETSc's KSPCG with PCNONE and the unpreconditioned norm adds a VecCopy r -> z "
         "(the PCNONE apply, 16), a VecNorm (8) and one more dot product (z.r, 16) against one "
         "fewer (r.r), 128 B. The operator is 16 B matrix-free and about 100 B as AIJ; the DMDA "
         "MATSHELL adds its ghost exchange (a copy of p into the local vector on one rank, 16 "
         "B). Each PetscSpace operation is one PETSc Vec call and one pass over memory.\n";
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
    const Json* problem = doc.find("problem");
    out << "\n### " << (problem ? problem->string_or("description", "?") : std::string("?"))
        << "\n\n";
    out << "Command: `" << command_text(doc.find("command_line")) << "`";
    if (const Json* tol = doc.find("tolerances"))
      out << "; rtol " << fmt("%g", tol->number_or("rtol", 0)) << ", max "
          << fmt("%.0f", tol->number_or("max_iterations", 0)) << " iterations";
    out << "\n\n";
    out << "| solver | iterations | setup s | solve s | true rel. residual | reason |\n";
    out << "|---|---:|---:|---:|---:|---|\n";
    const Json* rows = doc.find("results");
    if (!rows) continue;
    for (const Json& r : rows->items()) {
      out << "| " << r.string_or("solver", "?") << " | "
          << fmt("%.0f", r.number_or("iterations", 0)) << " | "
          << fmt("%.3f", r.number_or("setup_s", 0)) << " | "
          << fmt("%.3f", r.number_or("solve_s", 0)) << " | "
          << sci(r.find("true_relative_residual")) << " | " << r.string_or("reason", "?") << " |\n";
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
  out << "Reproduce with `" << command
      << "` (builds the benchmarks in `build-bench`, runs them, writes `bench/results/*.json` and "
         "regenerates this file). Benchmarks measure and report; they do not assert. The machine "
         "may be shared: the best of several samples is reported next to the median.\n\n";
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
