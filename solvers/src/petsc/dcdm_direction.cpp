// Direction models on PETSc vectors for KSP "dcdm" and PC "dcdm" (see dcdm_direction.hpp).
#include "dcdm_direction.hpp"

#include <petsc/private/petscimpl.h>

#include <exception>
#include <stdexcept>

#include "deepsolve/solvers/dcdm/network_direction.hpp"

namespace deepsolve::petsc::detail {

PetscLogEvent dcdm_direction_event = 0;

namespace {

PetscBool package_initialized = PETSC_FALSE;
PetscClassId dcdm_classid = 0;

PetscErrorCode finalize_package() {
  PetscFunctionBegin;
  package_initialized = PETSC_FALSE;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/// The DMDA that orders the unknowns: the DM set on the KSP/PC if it is a DMDA, else the DMDA
/// the operator was created from; null when there is none.
PetscErrorCode find_dmda(DM dm, Mat A, DM* da) {
  PetscBool is_da = PETSC_FALSE;

  PetscFunctionBegin;
  *da = nullptr;
  if (dm) PetscCall(PetscObjectTypeCompare((PetscObject)dm, DMDA, &is_da));
  if (is_da) {
    *da = dm;
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  DM mat_dm = nullptr;
  PetscCall(MatGetDM(A, &mat_dm));
  if (mat_dm) PetscCall(PetscObjectTypeCompare((PetscObject)mat_dm, DMDA, &is_da));
  if (is_da) *da = mat_dm;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/// Checks that the DMDA describes A's unknowns (one per cell) and builds the two scatters.
/// `label` names the model in messages.
PetscErrorCode set_up_gather(PetscObject obj, const std::string& label, Mat A, DM da,
                             DirectionModelState* s) {
  PetscInt dim, M, N, P, dof, rows, cols;

  PetscFunctionBegin;
  PetscCall(DMDAGetInfo(da, &dim, &M, &N, &P, nullptr, nullptr, nullptr, &dof, nullptr, nullptr,
                        nullptr, nullptr, nullptr));
  PetscCheck(dof == 1, PetscObjectComm(obj), PETSC_ERR_ARG_WRONG,
             "%s: a whole-grid direction model needs one unknown per cell, the DMDA has %d",
             label.c_str(), (int)dof);
  PetscCheck(dim == 2 || dim == 3, PetscObjectComm(obj), PETSC_ERR_ARG_WRONG,
             "%s: a whole-grid direction model needs a 2D or 3D grid, the DMDA is %dD",
             label.c_str(), (int)dim);
  if (dim == 2) P = 1;
  PetscCall(MatGetSize(A, &rows, &cols));
  PetscCheck(rows == M * N * P, PetscObjectComm(obj), PETSC_ERR_ARG_SIZ,
             "%s: the operator has %d rows, the DMDA %dx%dx%d = %d cells", label.c_str(), (int)rows,
             (int)M, (int)N, (int)P, (int)(M * N * P));
  if (da == s->da) PetscFunctionReturn(PETSC_SUCCESS);

  PetscCall(VecScatterDestroy(&s->to_all));
  PetscCall(VecScatterDestroy(&s->from_all));
  PetscCall(VecDestroy(&s->r_whole));
  PetscCall(VecDestroy(&s->q_whole));
  PetscCall(DMDestroy(&s->da));
  PetscCall(PetscObjectReference((PetscObject)da));
  s->da = da;
  PetscMPIInt size;
  PetscCallMPI(MPI_Comm_size(PetscObjectComm((PetscObject)da), &size));
  s->whole_grid_in_place = size == 1;
  if (s->whole_grid_in_place) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(DMDAGlobalToNaturalAllCreate(da, &s->to_all));
  PetscCall(DMDANaturalAllToGlobalCreate(da, &s->from_all));
  PetscCall(VecCreateSeq(PETSC_COMM_SELF, M * N * P, &s->r_whole));
  PetscCall(VecDuplicate(s->r_whole, &s->q_whole));
  PetscFunctionReturn(PETSC_SUCCESS);
}

}  // namespace

PetscErrorCode dcdm_initialize_package() {
  PetscFunctionBegin;
  if (package_initialized) PetscFunctionReturn(PETSC_SUCCESS);
  package_initialized = PETSC_TRUE;
  PetscCall(PetscClassIdRegister("DCDM", &dcdm_classid));
  PetscCall(PetscLogEventRegister("DCDMDirection", dcdm_classid, &dcdm_direction_event));
  PetscCall(PetscRegisterFinalize(finalize_package));
  PetscFunctionReturn(PETSC_SUCCESS);
}

std::string option_name(PetscObject obj, const char* option) {
  return std::string("-") + (obj->prefix ? obj->prefix : "") + option;
}

PetscErrorCode set_model(PetscObject obj, const char* option, const char* value, bool allow_pc,
                         DirectionModelState* s) {
  const std::string opt = option_name(obj, option);
  const std::string v = value ? value : "";

  PetscFunctionBegin;
  PetscCheck(!v.empty(), PetscObjectComm(obj), PETSC_ERR_ARG_WRONG,
             "%s needs a value: identity, jacobi%s or a model file", opt.c_str(),
             allow_pc ? ", pc" : "");
  ModelKind kind;
  if (v == "identity") {
    kind = ModelKind::identity;
  } else if (v == "jacobi") {
    kind = ModelKind::jacobi;
  } else if (v == "pc") {
    PetscCheck(allow_pc, PetscObjectComm(obj), PETSC_ERR_ARG_OUTOFRANGE,
               "%s pc: PC dcdm has no inner preconditioner to use; give identity, jacobi or a "
               "model file (or use -ksp_type dcdm -ksp_dcdm_model pc)",
               opt.c_str());
    kind = ModelKind::pc;
  } else {
    PetscBool readable = PETSC_FALSE;
    PetscCall(PetscTestFile(v.c_str(), 'r', &readable));
    PetscCheck(readable, PetscObjectComm(obj), PETSC_ERR_ARG_OUTOFRANGE,
               "%s %s: not identity, jacobi%s or a readable model file", opt.c_str(), v.c_str(),
               allow_pc ? ", pc" : "");
    kind = ModelKind::file;
  }
  if (kind != ModelKind::file || v != s->file) {
    s->model.reset();
    s->loaded_file.clear();
  }
  s->kind = kind;
  s->file = kind == ModelKind::file ? v : std::string();
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode set_device(PetscObject obj, const char* option, const char* value,
                          DirectionModelState* s) {
  const std::string v = value ? value : "";

  PetscFunctionBegin;
  PetscCheck(v == "cpu" || v == "cuda" || v == "auto", PetscObjectComm(obj),
             PETSC_ERR_ARG_OUTOFRANGE, "%s %s: must be cpu, cuda or auto",
             option_name(obj, option).c_str(), v.c_str());
  s->device = v;
  PetscFunctionReturn(PETSC_SUCCESS);
}

void set_user_model(std::shared_ptr<solvers::dcdm::DirectionModel> model, DirectionModelState* s) {
  s->kind = ModelKind::user;
  s->file.clear();
  s->loaded_file.clear();
  s->model = std::move(model);
}

std::string model_option_value(const DirectionModelState& s) {
  switch (s.kind) {
    case ModelKind::identity:
      return "identity";
    case ModelKind::jacobi:
      return "jacobi";
    case ModelKind::pc:
      return "pc";
    case ModelKind::file:
      return s.file;
    case ModelKind::user:
      break;
  }
  return "user";
}

std::string describe(const DirectionModelState& s) {
  switch (s.kind) {
    case ModelKind::identity:
      return "identity (q = r)";
    case ModelKind::jacobi:
      return "jacobi (q = D^-1 r)";
    case ModelKind::pc:
      return "pc (q = the KSP's preconditioner applied to r)";
    case ModelKind::file:
      return s.model ? s.model->describe() : "network " + s.file + " (not loaded yet)";
    case ModelKind::user:
      break;
  }
  return (s.model ? s.model->describe() : std::string("none")) + " (set through the C++ API)";
}

PetscErrorCode set_up(PetscObject obj, const char* option, Mat A, Mat P, DM dm,
                      DirectionModelState* s) {
  const std::string opt = option_name(obj, option);

  PetscFunctionBegin;
  PetscCall(dcdm_initialize_package());
  if (s->kind == ModelKind::jacobi) {
    // D^{-1} from the preconditioning matrix, as PCJACOBI does; again whenever P changed.
    PetscObjectState state;
    PetscCall(PetscObjectStateGet((PetscObject)P, &state));
    if (!s->inverse_diagonal || P != s->diagonal_of || state != s->diagonal_state) {
      PetscBool has_diagonal = PETSC_FALSE;
      PetscCall(MatHasOperation(P, MATOP_GET_DIAGONAL, &has_diagonal));
      PetscCheck(has_diagonal, PetscObjectComm(obj), PETSC_ERR_SUP,
                 "%s jacobi needs the diagonal of the operator, and a Mat of type %s cannot give "
                 "it (MatGetDiagonal)",
                 opt.c_str(), ((PetscObject)P)->type_name);
      PetscCall(VecDestroy(&s->inverse_diagonal));
      PetscCall(MatCreateVecs(P, &s->inverse_diagonal, nullptr));
      PetscCall(MatGetDiagonal(P, s->inverse_diagonal));
      PetscCall(VecReciprocal(s->inverse_diagonal));  // leaves zero entries zero
      s->diagonal_of = P;
      s->diagonal_state = state;
    }
  }
  if (s->kind == ModelKind::file || s->kind == ModelKind::user) {
    PetscCheck(s->kind != ModelKind::user || s->model, PetscObjectComm(obj), PETSC_ERR_ARG_NULL,
               "%s: the direction model set through the C++ API is null", opt.c_str());
    const std::string label =
        s->kind == ModelKind::file
            ? opt + " " + s->file
            : "direction model " + s->model->describe() + " (set through the C++ API)";
    DM da = nullptr;
    PetscCall(find_dmda(dm, A, &da));
    PetscCheck(da, PetscObjectComm(obj), PETSC_ERR_ARG_WRONGSTATE,
               "%s: a whole-grid direction model needs to know the grid: give the solver a DMDA "
               "(KSPSetDM) or create the matrix from one (DMCreateMatrix)",
               label.c_str());
    PetscCall(set_up_gather(obj, label, A, da, s));
    if (s->kind == ModelKind::file &&
        (!s->model || s->loaded_file != s->file || s->loaded_device != s->device)) {
      PetscInt dim, M, N, K;
      PetscCall(DMDAGetInfo(da, &dim, &M, &N, &K, nullptr, nullptr, nullptr, nullptr, nullptr,
                            nullptr, nullptr, nullptr, nullptr));
      if (dim == 2) K = 1;
      // The DMDA knows the grid's shape, not its geometry: a unit box of all-fluid cells.
      // "auto" picks cuda:(rank % devices) when CUDA is available, as PETSc does.
      PetscMPIInt rank;
      PetscCallMPI(MPI_Comm_rank(PetscObjectComm(obj), &rank));
      std::string error;
      try {
        const solvers::Grid grid(static_cast<int>(dim), {(int)M, (int)N, (int)K},
                                 {1.0 / M, 1.0 / N, 1.0 / K});
        s->model = std::make_shared<solvers::dcdm::NetworkDirection>(
            s->file, grid,
            solvers::dcdm::NetworkDirectionOptions().device(s->device).rank(
                static_cast<int>(rank)));
      } catch (const std::exception& e) {
        error = e.what();
      }
      PetscCheck(error.empty(), PetscObjectComm(obj), PETSC_ERR_LIB, "%s %s: %s", opt.c_str(),
                 s->file.c_str(), error.c_str());
      s->loaded_file = s->file;
      s->loaded_device = s->device;
    }
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode apply(const DirectionModelState& s, Vec r, Vec q) {
  PetscFunctionBegin;
  PetscCall(PetscLogEventBegin(dcdm_direction_event, r, q, 0, 0));
  switch (s.kind) {
    case ModelKind::identity:
      PetscCall(VecCopy(r, q));  // q <- r
      break;
    case ModelKind::jacobi:
      PetscCall(VecPointwiseMult(q, s.inverse_diagonal, r));  // q <- D^{-1} r
      break;
    case ModelKind::file:
    case ModelKind::user: {
#if defined(PETSC_USE_REAL_DOUBLE) && !defined(PETSC_USE_COMPLEX)
      // The model sees the whole grid in natural ordering: r and q themselves on one rank, else
      // r gathered on every rank into r_whole and this rank's part of q_whole scattered back.
      Vec in = r, out = q;
      if (!s.whole_grid_in_place) {
        PetscCall(VecScatterBegin(s.to_all, r, s.r_whole, INSERT_VALUES, SCATTER_FORWARD));
        PetscCall(VecScatterEnd(s.to_all, r, s.r_whole, INSERT_VALUES, SCATTER_FORWARD));
        in = s.r_whole;
        out = s.q_whole;
      }
      const PetscScalar* ra = nullptr;
      PetscScalar* qa = nullptr;
      PetscCall(VecGetArrayRead(in, &ra));
      PetscCall(VecGetArrayWrite(out, &qa));
      std::string error;
      try {
        s.model->apply(ra, qa);  // q <- f(r)
      } catch (const std::exception& e) {
        error = e.what();
      }
      PetscCall(VecRestoreArrayWrite(out, &qa));
      PetscCall(VecRestoreArrayRead(in, &ra));
      PetscCheck(error.empty(), PETSC_COMM_SELF, PETSC_ERR_LIB, "direction model %s: %s",
                 s.model->describe().c_str(), error.c_str());
      if (!s.whole_grid_in_place) {
        PetscCall(VecScatterBegin(s.from_all, s.q_whole, q, INSERT_VALUES, SCATTER_FORWARD));
        PetscCall(VecScatterEnd(s.from_all, s.q_whole, q, INSERT_VALUES, SCATTER_FORWARD));
      }
#else
      SETERRQ(PETSC_COMM_SELF, PETSC_ERR_SUP,
              "whole-grid direction models need PETSc with real double-precision scalars");
#endif
      break;
    }
    case ModelKind::pc:
      SETERRQ(PETSC_COMM_SELF, PETSC_ERR_PLIB, "the pc model is applied by KSP dcdm itself");
  }
  PetscCall(PetscLogEventEnd(dcdm_direction_event, r, q, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode reset(DirectionModelState* s) {
  PetscFunctionBegin;
  PetscCall(VecDestroy(&s->inverse_diagonal));
  s->diagonal_of = nullptr;
  s->diagonal_state = -1;
  PetscCall(VecScatterDestroy(&s->to_all));
  PetscCall(VecScatterDestroy(&s->from_all));
  PetscCall(VecDestroy(&s->r_whole));
  PetscCall(VecDestroy(&s->q_whole));
  PetscCall(DMDestroy(&s->da));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode view(const DirectionModelState& s, PetscViewer viewer) {
  PetscBool ascii = PETSC_FALSE;

  PetscFunctionBegin;
  PetscCall(PetscObjectTypeCompare((PetscObject)viewer, PETSCVIEWERASCII, &ascii));
  if (!ascii) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(PetscViewerASCIIPrintf(viewer, "  direction model: %s\n", describe(s).c_str()));
  if (s.kind == ModelKind::file)
    PetscCall(PetscViewerASCIIPrintf(viewer, "  device: %s\n", s.device.c_str()));
  PetscFunctionReturn(PETSC_SUCCESS);
}

}  // namespace deepsolve::petsc::detail
