// The DCDM models deepsolve ships: project-trained model files named dcdm_<dim>d.pt, kept in the
// source tree's models/ (with models/manifest.json saying how each was trained) and installed to
// <prefix>/share/deepsolve/models. This finds the one for a grid dimension; it needs no LibTorch
// (load the file with model_file.hpp or network_direction.hpp).
#pragma once

#include <string>
#include <vector>

namespace deepsolve::solvers::dcdm {

/// "dcdm_2d.pt" or "dcdm_3d.pt". Throws std::invalid_argument unless dim is 2 or 3.
std::string default_model_file_name(int dim);

/// One folder default_model_path() looks in.
struct ModelSearchPlace {
  std::string directory;  ///< empty when not set (an unset environment variable)
  std::string origin;     ///< e.g. "$DEEPSOLVE_MODEL_DIR", "source tree", "installed"
};

/// The folders default_model_path() looks in, in order:
///   1. $DEEPSOLVE_MODEL_DIR, when the variable is set and not empty;
///   2. the source tree's models/ (the checkout this library was built from);
///   3. <prefix>/share/deepsolve/models (CMAKE_INSTALL_FULL_DATADIR at configure time);
///   4. share/deepsolve/models of the installation the library itself sits in, when it was
///      installed to another prefix (cmake --install --prefix) and that folder is not the third.
/// An unset variable is listed with an empty directory, so messages can say it was not set.
std::vector<ModelSearchPlace> default_model_search_path();

/// The path of the shipped model for `dim`: dcdm_<dim>d.pt in the first folder of
/// default_model_search_path() that holds it as a regular file. Throws std::invalid_argument
/// unless dim is 2 or 3, and std::runtime_error listing every place searched when none has it.
std::string default_model_path(int dim);

}  // namespace deepsolve::solvers::dcdm
