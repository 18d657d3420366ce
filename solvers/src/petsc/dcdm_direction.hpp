// Direction models on PETSc vectors, shared by KSP "dcdm" (dcdm_ksp.cpp) and PC "dcdm"
// (dcdm_pc.cpp). Private to the library.
//
// A model maps a unit-norm residual r to a search direction q. Three kinds exist:
//   * classical models evaluated in place on the distributed vectors: identity (q = r) and Jacobi
//     (q = D^{-1} r with D the diagonal of the preconditioning matrix, as PCJACOBI takes it);
//   * the KSP's own PC (q = M^{-1} r; KSP only, applied by the KSP through KSP_PCApply);
//   * whole-grid models (solvers::dcdm::DirectionModel: a trained network loaded from a file, or
//     a model set through the C++ API). They see the whole grid in natural ordering, so the
//     residual is gathered to every rank with the DMDA's global-to-natural-all scatter, every
//     rank evaluates the model on the whole grid, and each keeps its own part of the result. The
//     grid comes from the DMDA set on the KSP/PC, or else the one the operator was created from
//     (MatGetDM); without a DMDA these models cannot be used.
//
// Everything here follows PETSc's conventions (error codes, PetscCall), since it runs inside
// PETSc callbacks; C++ exceptions from a model become PETSc errors through PetscCallCXX.
#pragma once

#include <petscdmda.h>
#include <petscksp.h>

#include <memory>
#include <string>
#include <vector>

#include "deepsolve/solvers/dcdm/direction_model.hpp"
#include "deepsolve/solvers/petsc/error.hpp"

// The argument of ops->setfromoptions: `PetscOptionItems *` up to PETSc 3.22, a pointer typedef
// `PetscOptionItems` from 3.23 on.
#if PETSC_VERSION_GE(3, 23, 0)
#define DEEPSOLVE_PETSC_OPTION_ITEMS PetscOptionItems
#else
#define DEEPSOLVE_PETSC_OPTION_ITEMS PetscOptionItems*
#endif
// PetscOptionsHead/Tail were renamed PetscOptionsHeadBegin/End in PETSc 3.18.
#if PETSC_VERSION_LT(3, 18, 0)
#define PetscOptionsHeadBegin PetscOptionsHead
#define PetscOptionsHeadEnd PetscOptionsTail
#endif

namespace deepsolve::petsc::detail {

/// The "DCDMDirection" log event: time spent computing directions (the network, for file models).
extern PetscLogEvent dcdm_direction_event;

/// Registers DCDM's class id and log event, once per PetscInitialize (reset by PetscFinalize).
PetscErrorCode dcdm_initialize_package();

enum class ModelKind { identity, jacobi, pc, file, user };

struct DirectionModelState {
  // --- configuration ---
  ModelKind kind = ModelKind::identity;
  std::string file;             ///< the model file (kind file)
  std::string device = "auto";  ///< cpu | cuda | auto, passed to network models
  /// The whole-grid model: loaded from `file` at set-up (kind file) or set by the user.
  std::shared_ptr<solvers::dcdm::DirectionModel> model;

  // --- set-up state ---
  Mat diagonal_of = nullptr;  ///< the matrix (and its state) inverse_diagonal was taken from
  PetscObjectState diagonal_state = -1;
  Vec inverse_diagonal = nullptr;  ///< Jacobi: 1 / diag(P), 0 where the diagonal is 0
  DM da = nullptr;                 ///< whole-grid models: the DMDA giving the ordering (referenced)
  VecScatter to_all = nullptr;     ///< global -> whole grid in natural ordering, on every rank
  VecScatter from_all = nullptr;   ///< whole grid on every rank -> this rank's part of a global
  Vec r_whole = nullptr;           ///< sequential, the whole grid
  Vec q_whole = nullptr;
  /// One rank: a global vector is already the whole grid in natural ordering, so the model reads
  /// r and writes q in place (no scatters, no whole-grid copies).
  bool whole_grid_in_place = false;
  std::string loaded_file;    ///< which file `model` was loaded from
  std::string loaded_device;  ///< and for which device
};

/// The option name with the object's prefix, e.g. "-ksp_dcdm_model" or "-inner_ksp_dcdm_model".
std::string option_name(PetscObject obj, const char* option);

/// Sets the model from an option value: identity, jacobi, pc (only if allow_pc) or the path of a
/// readable model file. Errors name the option and the value.
PetscErrorCode set_model(PetscObject obj, const char* option, const char* value, bool allow_pc,
                         DirectionModelState* state);
/// Sets the device for network models: cpu, cuda or auto. Errors name the option and the value.
PetscErrorCode set_device(PetscObject obj, const char* option, const char* value,
                          DirectionModelState* state);
/// Uses `model` (a whole-grid model from the C++ API) for the directions.
void set_user_model(std::shared_ptr<solvers::dcdm::DirectionModel> model,
                    DirectionModelState* state);
/// The current model as an option value ("identity", "jacobi", "pc", the file, "user").
std::string model_option_value(const DirectionModelState& state);

/// Prepares the model for operator A and preconditioning matrix P, with `dm` the DM set on the
/// KSP/PC (may be null): takes the Jacobi diagonal of P, finds the DMDA and loads a file model.
/// Cheap when nothing changed since the last call. `option` names the model option in messages.
PetscErrorCode set_up(PetscObject obj, const char* option, Mat A, Mat P, DM dm,
                      DirectionModelState* state);
/// q = f(r) for every kind but pc, timed in the DCDMDirection event.
PetscErrorCode apply(const DirectionModelState& state, Vec r, Vec q);
/// Frees the set-up state; keeps the configuration and the loaded model.
PetscErrorCode reset(DirectionModelState* state);
/// Lines for -ksp_view / -pc_view.
PetscErrorCode view(const DirectionModelState& state, PetscViewer viewer);
/// A short description, e.g. "jacobi (q = D^-1 r)".
std::string describe(const DirectionModelState& state);

}  // namespace deepsolve::petsc::detail
