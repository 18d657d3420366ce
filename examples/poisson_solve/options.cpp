#include "options.hpp"

#include <petscconf.h>
#include <petscsys.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cmath>
#include <sstream>
#include <stdexcept>

#include "deepsolve/solvers/dcdm/default_models.hpp"
#include "deepsolve/solvers/geometry.hpp"
#include "deepsolve/solvers/krylov/conjugate_directions.hpp"
#include "deepsolve/solvers/petsc/classical.hpp"
#include "deepsolve/solvers/petsc/dmda_poisson.hpp"

namespace poisson_solve {

using namespace deepsolve::examples;

namespace {

const char* const kFaceNames[6] = {"x-lo", "x-hi", "y-lo", "y-hi", "z-lo", "z-hi"};

std::string footer() {
  std::ostringstream s;
  s << "Solvers (--solvers, comma-separated; the default, all, is every solver but the dcdm-*\n"
       "  references, with dcdm only when it has a model):\n";
  for (const auto& name : all_solver_names())
    s << "  " << name << std::string(name.size() < 15 ? 15 - name.size() : 1, ' ')
      << solver_description(name) << "\n";
  s << R"(
DCDM (the deep conjugate-direction method, KSP dcdm): dcdm runs the network of --dcdm-model FILE
  (a deepsolve model file or TorchScript), else the shipped model dcdm_<dim>d.pt, looked for in
  $DEEPSOLVE_MODEL_DIR, the source tree's models/ and <prefix>/share/deepsolve/models. The network
  sees the whole grid on every rank, with solid and air cells masked. An untrained network, or an
  rtol beyond the network's float32 precision, ends at --max-it with DIVERGED_ITS. dcdm-identity,
  dcdm-jacobi and dcdm-icc run the same iteration with classical directions, for comparison.

PETSc options: every argument that starts with a single '-' (other than -h) goes to PETSc,
  with the next argument as its value unless that starts with '-' and is not a number:
  -ksp_monitor, -ksp_converged_reason, -ksp_view, -log_view, -da_processors_x 2, -pc_mg_levels 3,
  -help (PETSc's own option list). They apply to every PETSc solver (cg ... gmg, dcdm...) and
  override --rtol/--atol/--max-it/--dcdm-window there (e.g. -ksp_rtol, -ksp_dcdm_window);
  -ksp_monitor and -ksp_converged_reason also report on cg-mf and cg-aij.

Output: a header describing the problem, then one row per solver: iterations, setup and solve
  time in seconds (MPI_Wtime, the maximum over ranks), the true relative residual ||b - A x||/||b||
  recomputed with the assembled matrix, and the reason the solver stopped (PETSc's
  KSPConvergedReason spelling); with dcdm, also the time spent in its network (network [s]). Run
  it under mpiexec -n N for N ranks.

Pure-Neumann problems (and fluid regions enclosed by solid cells) are singular: the right-hand side
  must have no component in the null space (constants on each floating region). One that has is
  an error naming the relative size of that component, unless --project-rhs removes it.

Exit status: 0 every solver converged; 3 some solver did not (its row shows the DIVERGED_ reason);
  2 invalid input or another error (one line on stderr, "poisson_solve: error: ...").

Examples:
  poisson_solve                                        3D 64^3 with a sphere, every solver
  mpiexec -n 4 poisson_solve --size 128 --solvers cg-mf,gamg,gmg -log_view
  poisson_solve --dim 2 --size 512 --bc neumann --project-rhs --json out.json
  poisson_solve --dim 2 --size 64 --solvers jacobi,dcdm-jacobi,dcdm --dcdm-model my_model.pt
  poisson_solve --geometry empty --rhs manufactured --size 32   (also reports the error vs the
                                                                 exact solution))";
  return s.str();
}

}  // namespace

std::vector<std::string> all_solver_names() {
  std::vector<std::string> names{"cg-mf", "cg-aij"};
  for (const auto& m : deepsolve::petsc::classical_methods()) {
#if !defined(PETSC_HAVE_HYPRE)
    if (m.name == "boomeramg" || m.name == "pfmg") continue;  // both are hypre's
#endif
    names.push_back(m.name);
  }
  for (const char* dcdm : {"dcdm", "dcdm-identity", "dcdm-jacobi", "dcdm-icc"})
    names.emplace_back(dcdm);
  return names;
}

std::vector<std::string> default_solver_names(const std::string& dcdm_model) {
  std::vector<std::string> names;
  for (const auto& name : all_solver_names())
    if (!is_dcdm_solver(name) || (name == "dcdm" && !dcdm_model.empty())) names.push_back(name);
  return names;
}

bool is_dcdm_solver(const std::string& name) {
  return name == "dcdm" || name.rfind("dcdm-", 0) == 0;
}

std::string solver_description(const std::string& name) {
  if (name == "cg-mf") return "deepsolve CG, matrix-free stencil operator, no preconditioner";
  if (name == "cg-aij") return "deepsolve CG on the assembled PETSc AIJ matrix, no preconditioner";
  if (name == "dcdm") return "DCDM with a trained network (--dcdm-model), matrix-free operator";
  if (name == "dcdm-identity") return "DCDM with q = r (CG in exact arithmetic)";
  if (name == "dcdm-jacobi") return "DCDM with Jacobi directions q = D^-1 r";
  if (name == "dcdm-icc") return "DCDM with ICC(0) directions (block ICC on >1 rank)";
  for (const auto& m : deepsolve::petsc::classical_methods())
    if (m.name == name) return m.description;
  return "";
}

Options parse_options(const std::vector<std::string>& args) {
  Options o;
  const char* description =
      "poisson_solve: solves one Poisson problem -div grad u = b on a 2D/3D cell-centred grid\n"
      "with obstacles, with deepsolve's CG and PETSc's classical solvers, and prints one row\n"
      "per solver.";
  CLI::App app{description, "poisson_solve"};
  setup_app(app, 28, footer());

  app.add_option("--dim", o.dim, "Grid dimension: 2 or 3")->capture_default_str();
  app.add_option("--size", o.size, "Cells per axis")->capture_default_str();
  auto* nx = app.add_option("--nx", o.axis_size[0], "Cells along x (overrides --size)");
  auto* ny = app.add_option("--ny", o.axis_size[1], "Cells along y (overrides --size)");
  auto* nz = app.add_option("--nz", o.axis_size[2], "Cells along z (overrides --size; 3D only)");
  auto* spacing =
      app.add_option(
             "--spacing", o.spacing,
             "Cell width h (default: 1 / the largest cell count, so\nthe longest side is 1)")
          ->type_name("H");
  auto* geometry = app.add_option("--geometry", o.geometry,
                                  "Obstacles: " + join(deepsolve::solvers::geometry_names(), "|"))
                       ->type_name("NAME")
                       ->capture_default_str();
  app.add_option("--seed", o.seed, "Seed of --geometry random and --rhs random")
      ->capture_default_str();
  app.add_option("--cells", o.cells_file,
                 "Read the cell types from FILE instead (see --write-cells)")
      ->type_name("FILE");
  app.add_option("--bc", o.bc, "Boundary condition on every face: dirichlet|neumann")
      ->type_name("BC")
      ->capture_default_str();
  for (int f = 0; f < 6; ++f)
    app.add_option(std::string("--bc-") + kFaceNames[f], o.face_bc[f],
                   std::string("Boundary condition on the ") + kFaceNames[f] + " face")
        ->type_name("BC");
  auto* rhs = app.add_option("--rhs", o.rhs,
                             "Right-hand side: random|manufactured|point|ones|file\n"
                             "(manufactured: --geometry empty only)")
                  ->type_name("KIND")
                  ->capture_default_str();
  auto* rhs_file = app.add_option("--rhs-file", o.rhs_file,
                                  "Read the right-hand side from FILE (PETSc binary "
                                  "vector,\nnatural ordering, x fastest)")
                       ->type_name("FILE");
  auto* point = app.add_option("--point", o.point,
                               "Where --rhs point puts its unit source (default: the fluid\ncell "
                               "nearest to a quarter of each side)")
                    ->type_name("X,Y[,Z]");
  app.add_flag("--project-rhs", o.project_rhs,
               "Remove the right-hand side's component in the null space\nof a singular problem");
  std::string solvers = "all";
  auto* solvers_opt =
      app.add_option("--solvers", solvers, "Comma-separated solver list (below), or all")
          ->type_name("LIST")
          ->capture_default_str();
  app.add_option("--rtol", o.rtol, "Relative tolerance: stop when ||r|| <= rtol ||b||")
      ->capture_default_str();
  app.add_option("--atol", o.atol, "Absolute tolerance: stop when ||r|| <= atol")
      ->capture_default_str();
  app.add_option("--max-it", o.max_iterations, "Iteration limit of every solver")
      ->capture_default_str();
  auto* dcdm_max_it =
      app.add_option("--dcdm-max-it", o.dcdm_max_iterations,
                     "Iteration limit of the dcdm rows instead of --max-it (a network\n"
                     "iteration costs far more than a classical one)")
          ->type_name("N");
  auto* dcdm_model =
      app.add_option("--dcdm-model", o.dcdm_model,
                     "Network of --solvers dcdm: a deepsolve model file or\nTorchScript "
                     "(default: the shipped dcdm_<dim>d.pt)")
          ->type_name("FILE");
  auto* dcdm_window = app.add_option("--dcdm-window", o.dcdm_window,
                                     "DCDM: A-orthogonalise each direction against the last N")
                          ->type_name("N")
                          ->capture_default_str();
  auto* dcdm_device = app.add_option("--dcdm-device", o.dcdm_device,
                                     "Where the DCDM network runs: cpu|cuda|cuda:N|auto (auto:\n"
                                     "cuda:(rank mod devices) when CUDA is available, else cpu)")
                          ->type_name("DEVICE")
                          ->capture_default_str();
  app.add_option("--json", o.json_file, "Write the problem and the rows to FILE as JSON")
      ->type_name("FILE");
  app.add_option("--write-cells", o.write_cells, "Write the cell-type field to FILE (for --cells)")
      ->type_name("FILE");
  app.add_option(
         "--write-rhs", o.write_rhs,
         "Write the right-hand side as solved (after any projection)\nto FILE (for --rhs-file, "
         "or VecLoad in a PETSc program)")
      ->type_name("FILE");

  o.help = parse(app, args);
  if (!o.help.empty()) return o;

  // Checks, each naming the option.
  check(o.dim == 2 || o.dim == 3, "--dim must be 2 or 3, got " + std::to_string(o.dim));
  check_at_least("--size", o.size, 1);
  const char* axis_flag[3] = {"--nx", "--ny", "--nz"};
  const CLI::Option* axis_opt[3] = {nx, ny, nz};
  for (int d = 0; d < 3; ++d) {
    if (axis_opt[d]->count() == 0) continue;
    check_at_least(axis_flag[d], o.axis_size[d], 1);
  }
  check(o.dim == 3 || nz->count() == 0, "--nz does not apply to a 2D grid (--dim 2)");
  if (spacing->count()) check_positive_finite("--spacing", o.spacing);
  o.geometry_given = geometry->count() > 0;
  check(!(o.geometry_given && !o.cells_file.empty()),
        "--geometry and --cells both give the obstacles; use one");
  if (o.cells_file.empty())
    check_choice("--geometry", "geometry", o.geometry, deepsolve::solvers::geometry_names());
  auto check_bc = [](const std::string& flag, const std::string& v) {
    check_choice(flag, "boundary condition", v, {"dirichlet", "neumann"});
  };
  check_bc("--bc", o.bc);
  for (int f = 0; f < 6; ++f) {
    if (o.face_bc[f].empty()) continue;
    check_bc(std::string("--bc-") + kFaceNames[f], o.face_bc[f]);
    check(o.dim == 3 || f < 4,
          std::string("--bc-") + kFaceNames[f] + " does not apply to a 2D grid");
  }
  check_choice("--rhs", "right-hand side", o.rhs,
               {"random", "manufactured", "point", "ones", "file"});
  if (rhs_file->count()) {
    check(rhs->count() == 0 || o.rhs == "file", "--rhs-file conflicts with --rhs " + o.rhs);
    o.rhs = "file";
  }
  check(o.rhs != "file" || !o.rhs_file.empty(), "--rhs file needs --rhs-file FILE");
  check(point->count() == 0 || o.rhs == "point", "--point applies only to --rhs point");

  // The DCDM options, then the solver list (whose default includes dcdm only when it has a model).
  check_non_negative("--dcdm-window", o.dcdm_window);
  check(o.dcdm_window <= deepsolve::solvers::max_conjugate_direction_window,
        "--dcdm-window must be <= " +
            std::to_string(deepsolve::solvers::max_conjugate_direction_window) + ", got " +
            std::to_string(o.dcdm_window) +
            " (each of the window + 1 slots keeps two vectors of the grid's size)");
  const bool cuda_n = o.dcdm_device.rfind("cuda:", 0) == 0 && o.dcdm_device.size() > 5 &&
                      o.dcdm_device.find_first_not_of("0123456789", 5) == std::string::npos;
  check(o.dcdm_device == "cpu" || o.dcdm_device == "cuda" || o.dcdm_device == "auto" || cuda_n,
        "--dcdm-device: unknown device '" + o.dcdm_device + "' (valid: cpu, cuda, cuda:N, auto)");
  o.dcdm_model_given = dcdm_model->count() > 0;
  check(!o.dcdm_model_given || !o.dcdm_model.empty(), "--dcdm-model needs a file name");
  std::string no_shipped_model;  // why dcdm has no model, when it has none
  if (!o.dcdm_model_given) {
    try {
      o.dcdm_model = deepsolve::solvers::dcdm::default_model_path(o.dim);
    } catch (const std::exception& e) {
      no_shipped_model = e.what();
    }
  }

  o.solvers_given = solvers_opt->count() > 0;
  const auto valid = all_solver_names();
  if (solvers == "all") {
    o.solvers = default_solver_names(o.dcdm_model);
  } else {
    for (const auto& name : split_list(solvers, /*keep_empty=*/true)) {
      check(!name.empty(), "--solvers: empty solver name in '" + solvers + "'");
      check(std::find(valid.begin(), valid.end(), name) != valid.end(),
            "--solvers: unknown solver '" + name + "' (valid: " + join(valid) + ", or all)");
      o.solvers.push_back(name);
    }
    check(!o.solvers.empty(), "--solvers: no solver given");
  }
  const auto runs = [&o](auto&& pred) {
    return std::any_of(o.solvers.begin(), o.solvers.end(), pred);
  };
  const bool network = runs([](const std::string& n) { return n == "dcdm"; });
  check(!network || !o.dcdm_model.empty(),
        "--solvers dcdm needs a model: give --dcdm-model FILE (" + no_shipped_model + ")");
  const std::string none_runs = o.solvers_given
                                    ? std::string("no dcdm solver is in --solvers")
                                    : "dcdm is not in the default list: " + no_shipped_model +
                                          " (give --dcdm-model FILE or --solvers dcdm-...)";
  check(network || !o.dcdm_model_given, "--dcdm-model applies only to dcdm, and " + none_runs);
  check(network || dcdm_device->count() == 0,
        "--dcdm-device applies only to dcdm, and " + none_runs);
  check(runs(is_dcdm_solver) || dcdm_window->count() == 0,
        "--dcdm-window applies only to the dcdm solvers, and " + none_runs);
  check(runs(is_dcdm_solver) || dcdm_max_it->count() == 0,
        "--dcdm-max-it applies only to the dcdm solvers, and " + none_runs);
  if (dcdm_max_it->count()) check_non_negative("--dcdm-max-it", o.dcdm_max_iterations);
  if (!network) o.dcdm_model.clear();
  check(o.rtol >= 0.0 && o.rtol < 1.0, "--rtol must be in [0, 1), got " + format_number(o.rtol));
  check(o.atol >= 0.0 && std::isfinite(o.atol),
        "--atol must be finite and >= 0, got " + format_number(o.atol));
  check(o.rtol > 0.0 || o.atol > 0.0, "--rtol and --atol are both zero: no solve could stop");
  check_non_negative("--max-it", o.max_iterations);
  output_files(o).check_distinct();

  // A grid bound to run out of memory is refused now, not killed by the system minutes later.
  // Last, as it is collective: every rank reaches it or none does. Vectors: b, x, one for the
  // apply timing, CG's work space, the exact solution of --rhs manufactured.
  if (PetscInitializeCalled) {
    std::array<int, 3> n{};
    for (int d = 0; d < 3; ++d) n[d] = o.axis_size[d] > 0 ? o.axis_size[d] : o.size;
    const int vectors = 7 + (o.rhs == "manufactured" ? 1 : 0);
    deepsolve::petsc::DmdaPoisson::check_memory(PETSC_COMM_WORLD, o.dim, n, vectors, false,
                                                "lower --size (or --nx/--ny/--nz), or run on "
                                                "more nodes");
  }
  return o;
}

OutputFiles output_files(const Options& o) {
  OutputFiles files;
  files.add("--json", o.json_file)
      .add("--write-cells", o.write_cells)
      .add("--write-rhs", o.write_rhs);
  return files;
}

}  // namespace poisson_solve
