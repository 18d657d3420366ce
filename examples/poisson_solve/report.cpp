#include "report.hpp"

#include <petscversion.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/output.hpp"
#include "deepsolve/solvers/config.hpp"
#include "deepsolve/solvers/dcdm/model_file.hpp"

namespace poisson_solve {

namespace ds = deepsolve::solvers;

namespace {

const char* const kFaceKeys[6] = {"x_lo", "x_hi", "y_lo", "y_hi", "z_lo", "z_hi"};

std::string format(const char* fmt, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, fmt, v);
  return buf;
}

std::string boundaries(const Grid& g) {
  const int faces = 2 * g.dim();
  bool same = true;
  for (int f = 1; f < faces; ++f) same = same && g.boundary(ds::Face(f)) == g.boundary(ds::Face(0));
  if (same) return ds::to_string(g.boundary(ds::Face::x_lo)) + " on every face";
  std::string s;
  for (int f = 0; f < faces; ++f)
    s += std::string(f ? ", " : "") + kFaceKeys[f] + " " + ds::to_string(g.boundary(ds::Face(f)));
  return s;
}

std::string rhs_text(const Report& r) {
  const auto& in = *r.input;
  const auto& o = *r.options;
  std::ostringstream s;
  s << in.rhs_kind;
  if (in.rhs_kind == "random") s << " (seed " << o.seed << ")";
  if (in.rhs_kind == "point") {
    s << " at (" << in.point[0] << ", " << in.point[1];
    if (in.grid->dim() == 3) s << ", " << in.point[2];
    s << ")";
  }
  if (in.rhs_kind == "file") s << " " << o.rhs_file;
  s << ", ||b|| = " << format("%.6g", r.rhs_norm);
  return s.str();
}

}  // namespace

std::string header_text(const Report& r) {
  const Grid& g = *r.input->grid;
  const auto& o = *r.options;
  std::ostringstream s;
  s << "poisson_solve: " << g.describe() << "\n";
  s << "  boundaries  " << boundaries(g) << "\n";
  s << "  geometry    " << r.input->geometry;
  if (r.input->geometry == "random") s << " (seed " << o.seed << ")";
  s << "\n";
  s << "  rhs         " << rhs_text(r) << "\n";
  s << "  unknowns    " << g.count(ds::CellType::fluid) << " fluid cells (" << g.num_cells()
    << " matrix rows; solid and air cells are decoupled rows)\n";
  if (r.floating_regions > 0) {
    s << "  null space  " << r.floating_regions << " floating fluid region"
      << (r.floating_regions > 1 ? "s" : "") << " (no Dirichlet contact); rhs component in it "
      << format("%.2e", r.null_space_fraction) << " of ||b||, removed"
      << (r.projected ? " (--project-rhs)" : "") << "\n";
  }
  s << "  ranks       " << r.ranks << " (DMDA " << r.processes[0] << "x" << r.processes[1];
  if (g.dim() == 3) s << "x" << r.processes[2];
  s << ")\n";
  s << "  tolerances  rtol " << o.rtol << ", atol " << o.atol << ", at most " << o.max_iterations
    << " iterations";
  if (o.dcdm_max_iterations >= 0) s << " (dcdm rows: " << o.dcdm_max_iterations << ")";
  s << "\n";
  s << "  setup       " << format("%.3f", r.setup_s)
    << " s (DMDA, AIJ assembly, matrix-free operator; not in the rows)\n";
  s << "  operator    " << format("%.2e", r.apply_s)
    << " s per matrix-free apply (the unit of the DCDM cost split)\n";
  if (r.dcdm && r.dcdm->direction)
    s << "  dcdm        " << r.dcdm->direction->describe() << ", window " << r.dcdm_window
      << (o.dcdm_model_given ? "" : " (the shipped model)") << "\n";
  for (const auto& n : r.notes) s << "  note        " << n << "\n";
  return s.str();
}

TableLayout table_layout(const std::vector<std::string>& solvers, bool with_error) {
  TableLayout layout;
  layout.error = with_error;
  for (const auto& name : solvers) {
    layout.network = layout.network || name == "dcdm";
    layout.solver_width = std::max(layout.solver_width, static_cast<int>(name.size()));
  }
  return layout;
}

std::string table_header(const TableLayout& layout) {
  std::string s = "\nsolver" + std::string(static_cast<std::size_t>(layout.solver_width) - 6, ' ') +
                  " iterations  setup [s]  solve [s]  ";
  if (layout.network) s += "network [s]  ";
  s += "||b-Ax||/||b||  ";
  if (layout.error) s += "err vs exact  ";
  return s + "reason\n";
}

std::string table_row(const Row& row, const TableLayout& layout) {
  char buf[256];
  std::snprintf(buf, sizeof buf, "%-*s %10d %10.3f %10.3f  ", layout.solver_width,
                row.solver.c_str(), row.iterations, row.setup_s, row.solve_s);
  std::string s = buf;
  if (layout.network)
    s += std::isfinite(row.network_s) ? format("%11.3f  ", row.network_s) : std::string(13, ' ');
  s += format("%14.2e  ", row.true_relative_residual);
  if (layout.error) s += format("%12.2e  ", row.error_vs_exact);
  return s + row.reason + "\n";
}

std::string json_text(const Report& r) {
  using nlohmann::json;
  const Grid& g = *r.input->grid;
  const auto& o = *r.options;
  auto number_or_null = [](double v) { return std::isfinite(v) ? json(v) : json(nullptr); };
  json bc = json::object();
  for (int f = 0; f < 2 * g.dim(); ++f) bc[kFaceKeys[f]] = ds::to_string(g.boundary(ds::Face(f)));
  json size = json::array(), spacing = json::array();
  for (int d = 0; d < g.dim(); ++d) {
    size.push_back(g.size()[d]);
    spacing.push_back(g.spacing()[d]);
  }
  json rhs = {{"kind", r.input->rhs_kind},
              {"norm", r.rhs_norm},
              {"null_space_fraction", r.null_space_fraction},
              {"projected", r.projected}};
  if (r.input->rhs_kind == "random") rhs["seed"] = o.seed;
  if (r.input->rhs_kind == "file") rhs["file"] = o.rhs_file;
  if (r.input->rhs_kind == "point")
    rhs["position"] = std::vector<double>(r.input->point.begin(), r.input->point.begin() + g.dim());
  json problem = {{"description", g.describe()},
                  {"dim", g.dim()},
                  {"size", size},
                  {"spacing", spacing},
                  {"boundaries", bc},
                  {"geometry", r.input->geometry},
                  {"fluid_cells", g.count(ds::CellType::fluid)},
                  {"solid_cells", g.count(ds::CellType::solid)},
                  {"air_cells", g.count(ds::CellType::air)},
                  {"rows", g.num_cells()},
                  {"floating_regions", r.floating_regions},
                  {"rhs", rhs}};
  if (!o.cells_file.empty()) problem["cells_file"] = o.cells_file;
  if (r.input->geometry == "random") problem["seed"] = o.seed;
  json dcdm = nullptr;  // the DCDM settings, when a dcdm solver runs
  for (const auto& row : r.rows) {
    if (!is_dcdm_solver(row.solver)) continue;
    dcdm = {{"window", r.dcdm_window}};
    if (r.dcdm && r.dcdm->direction)
      dcdm.update({{"model", r.dcdm->path},
                   {"model_given", o.dcdm_model_given},
                   {"description", r.dcdm->direction->describe()},
                   {"device", r.dcdm->direction->device()}});
    if (r.dcdm && r.dcdm->direction) {
      const auto& info = r.dcdm->direction->network().info();
      const auto command = info.metadata.find("training_command");
      dcdm["trained_on"] = {
          {"size", info.grid.size},
          {"boundaries", info.grid.boundaries},
          {"command", command == info.metadata.end() ? std::string() : command->second}};
    }
    break;
  }
  json rows = json::array();
  bool all_converged = true;
  for (const auto& row : r.rows) {
    json j = {{"solver", row.solver},
              {"description", row.description},
              {"iterations", row.iterations},
              {"setup_s", row.setup_s},
              {"solve_s", row.solve_s},
              {"true_relative_residual", number_or_null(row.true_relative_residual)},
              {"reason", row.reason},
              {"converged", row.converged}};
    if (r.input->rhs_kind == "manufactured")
      j["error_vs_exact"] = number_or_null(row.error_vs_exact);
    j["network_s"] = number_or_null(row.network_s);  // dcdm only, null in the other rows
    if (row.solver == "dcdm") j["network_calls"] = row.network_calls;
    rows.push_back(j);
    all_converged = all_converged && row.converged;
  }
  json out = {
      {"program", "poisson_solve"},
      {"deepsolve_version", DEEPSOLVE_VERSION},
      {"petsc_version", std::to_string(PETSC_VERSION_MAJOR) + "." +
                            std::to_string(PETSC_VERSION_MINOR) + "." +
                            std::to_string(PETSC_VERSION_SUBMINOR)},
      {"command_line", r.command_line},
      {"petsc_options", r.petsc_options},
      {"ranks", r.ranks},
      {"dmda_processes", std::vector<int>(r.processes.begin(), r.processes.begin() + g.dim())},
      {"problem", problem},
      {"tolerances",
       {{"rtol", o.rtol},
        {"atol", o.atol},
        {"max_iterations", o.max_iterations},
        {"dcdm_max_iterations",
         o.dcdm_max_iterations >= 0 ? o.dcdm_max_iterations : o.max_iterations}}},
      {"problem_setup_s", r.setup_s},
      {"matrix_free_apply_s", r.apply_s},
      {"dcdm", dcdm},
      {"notes", r.notes},
      {"results", rows},
      {"all_converged", all_converged},
      {"exit_code", r.exit_code}};
  return deepsolve::examples::json_text(out);
}

}  // namespace poisson_solve
