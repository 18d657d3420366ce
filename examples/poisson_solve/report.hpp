// What poisson_solve prints (a header describing the problem, one table row per solver) and the
// same content as JSON for --json.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "options.hpp"
#include "problem.hpp"
#include "solvers.hpp"

namespace poisson_solve {

struct Report {
  std::vector<std::string> command_line;
  std::vector<std::string> petsc_options;  ///< the arguments passed to PETSc
  const Options* options = nullptr;
  const ProblemInput* input = nullptr;
  int ranks = 1;
  std::array<int, 3> processes{1, 1, 1};  ///< the DMDA's process grid
  double setup_s = 0.0;                   ///< DMDA, assembly, matrix-free operator, null space
  double apply_s = 0.0;  ///< one matrix-free operator apply (median of a few), max over ranks
  double rhs_norm = 0.0;
  int floating_regions = 0;
  double null_space_fraction = 0.0;  ///< ||P b|| / ||b|| before projection
  bool projected = false;
  std::vector<std::string> notes;
  std::vector<Row> rows;
  int exit_code = 0;
  const DcdmNetwork* dcdm = nullptr;  ///< the network of --solvers dcdm, when it runs
  int dcdm_window = 2;                ///< --dcdm-window, or -ksp_dcdm_window when given
};

/// Which columns the table has.
struct TableLayout {
  bool error = false;    ///< "err vs exact" (--rhs manufactured)
  bool network = false;  ///< "network [s]" (a dcdm row runs; empty in the other rows)
  int solver_width = 10;
};
TableLayout table_layout(const std::vector<std::string>& solvers, bool with_error);

std::string header_text(const Report& report);
std::string table_header(const TableLayout& layout);
std::string table_row(const Row& row, const TableLayout& layout);
std::string json_text(const Report& report);

}  // namespace poisson_solve
