#include "deepsolve/solvers/dcdm/default_models.hpp"

#include <dlfcn.h>

#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <system_error>

// Set by solvers/CMakeLists.txt for this file only.
#ifndef DEEPSOLVE_SOURCE_MODEL_DIR
#error "DEEPSOLVE_SOURCE_MODEL_DIR (the source tree's models/) must be defined by the build"
#endif
#ifndef DEEPSOLVE_INSTALLED_MODEL_DIR
#error "DEEPSOLVE_INSTALLED_MODEL_DIR (share/deepsolve/models) must be defined by the build"
#endif
#ifndef DEEPSOLVE_INSTALLED_LIBDIR
#error "DEEPSOLVE_INSTALLED_LIBDIR (the relative library folder) must be defined by the build"
#endif
#ifndef DEEPSOLVE_MODEL_DIR_FROM_LIBDIR
#error "DEEPSOLVE_MODEL_DIR_FROM_LIBDIR (the models relative to the library) must be defined"
#endif

namespace deepsolve::solvers::dcdm {

namespace fs = std::filesystem;

namespace {

/// The models folder of the installation this library sits in, when it sits in one whose library
/// folder ends with the configured one (e.g. <anywhere>/lib): a package installed with
/// `cmake --install --prefix <anywhere>`. Empty in the build tree or a static executable.
std::string relocated_install_dir() {
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(&default_model_path), &info) == 0 || !info.dli_fname)
    return {};
  std::error_code ec;
  const fs::path library = fs::weakly_canonical(fs::path(info.dli_fname), ec);
  if (ec) return {};
  const fs::path libdir = library.parent_path();
  const fs::path expected(DEEPSOLVE_INSTALLED_LIBDIR);  // relative, e.g. "lib"
  // Compare the last components of libdir with those of the configured library folder.
  auto it = libdir.end();
  for (auto e = expected.end(); e != expected.begin();) {
    --e;
    if (e->empty()) continue;  // a trailing separator
    if (it == libdir.begin()) return {};
    --it;
    if (*it != *e) return {};
  }
  return (libdir / DEEPSOLVE_MODEL_DIR_FROM_LIBDIR).lexically_normal().string();
}

bool same_directory(const std::string& a, const std::string& b) {
  std::error_code ec;
  if (fs::exists(a, ec) && fs::exists(b, ec)) return fs::equivalent(a, b, ec);
  return fs::path(a).lexically_normal() == fs::path(b).lexically_normal();
}

}  // namespace

std::string default_model_file_name(int dim) {
  if (dim != 2 && dim != 3)
    throw std::invalid_argument("a DCDM model is for a 2D or 3D grid, not " + std::to_string(dim) +
                                "D");
  return "dcdm_" + std::to_string(dim) + "d.pt";
}

std::vector<ModelSearchPlace> default_model_search_path() {
  std::vector<ModelSearchPlace> places;
  const char* env = std::getenv("DEEPSOLVE_MODEL_DIR");
  places.push_back({env && *env ? std::string(env) : std::string(), "$DEEPSOLVE_MODEL_DIR"});
  places.push_back({DEEPSOLVE_SOURCE_MODEL_DIR, "source tree"});
  places.push_back({DEEPSOLVE_INSTALLED_MODEL_DIR, "installed"});
  const std::string relocated = relocated_install_dir();
  if (!relocated.empty() && !same_directory(relocated, DEEPSOLVE_INSTALLED_MODEL_DIR))
    places.push_back({relocated, "installation of this library"});
  return places;
}

std::string default_model_path(int dim) {
  const std::string name = default_model_file_name(dim);
  std::string searched;
  for (const auto& place : default_model_search_path()) {
    searched += searched.empty() ? "" : "; ";
    if (place.directory.empty()) {
      searched += place.origin + " (not set)";
      continue;
    }
    searched += place.directory + " (" + place.origin + ")";
    const fs::path candidate = fs::path(place.directory) / name;
    std::error_code ec;
    if (fs::is_regular_file(candidate, ec)) return candidate.string();
  }
  throw std::runtime_error("no shipped DCDM model for " + std::to_string(dim) + "D grids: " + name +
                           " is in none of " + searched);
}

}  // namespace deepsolve::solvers::dcdm
