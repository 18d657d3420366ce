# Finds deepsolve's dependencies the standard way. PETSc has no CMake package: it is found through
# pkg-config (module "PETSc"), as PETSc's own share/petsc/CMakeLists.txt does; set PKG_CONFIG_PATH to
# $PETSC_DIR/$PETSC_ARCH/lib/pkgconfig for a PETSc of your own.

find_package(Eigen3 3.3 REQUIRED NO_MODULE)
find_package(Torch REQUIRED)
find_package(Threads REQUIRED)
# zlib: the CRC-32 of every archive (learned/io/archive.hpp).
find_package(ZLIB REQUIRED)
# ATen's OpenMP backend is header code: at::parallel_for runs our own loops (the V-cycle network's
# stencils) on several threads only where they are compiled with OpenMP.
find_package(OpenMP REQUIRED COMPONENTS CXX)

if(DEEPSOLVE_WITH_PETSC)
  find_package(MPI REQUIRED COMPONENTS C CXX)
  find_package(PkgConfig REQUIRED)
  pkg_search_module(PETSC REQUIRED IMPORTED_TARGET PETSc)
  message(STATUS "PETSc ${PETSC_VERSION} from ${PETSC_PREFIX}")
else()
  find_package(MPI QUIET COMPONENTS C CXX)
endif()

# CUDA: AUTO turns it on when a CUDA compiler is found (nvcc on the PATH or CMAKE_CUDA_COMPILER).
set(DEEPSOLVE_HAVE_CUDA OFF)
if(DEEPSOLVE_WITH_CUDA STREQUAL "AUTO")
  include(CheckLanguage)
  check_language(CUDA)
  if(CMAKE_CUDA_COMPILER)
    set(DEEPSOLVE_HAVE_CUDA ON)
  endif()
elseif(DEEPSOLVE_WITH_CUDA)
  set(DEEPSOLVE_HAVE_CUDA ON)
endif()
if(DEEPSOLVE_HAVE_CUDA)
  # Machine code for Turing, Ampere and Hopper, and PTX of the last for newer GPUs (CUDA 13 no
  # longer targets anything older than Turing). Override with -DCMAKE_CUDA_ARCHITECTURES=...
  if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES)
    set(CMAKE_CUDA_ARCHITECTURES 75-real 80-real 90 CACHE STRING "CUDA architectures to build for")
  endif()
  enable_language(CUDA)
  find_package(CUDAToolkit REQUIRED)
endif()

# The examples' PNG images (libpng) and line plots (Cairo); without them the examples that draw
# are not built.
if(DEEPSOLVE_BUILD_EXAMPLES)
  find_package(PNG 1.6 QUIET)
  find_package(PkgConfig QUIET)
  if(PKG_CONFIG_FOUND)
    pkg_check_modules(CAIRO QUIET IMPORTED_TARGET GLOBAL cairo)
  endif()
endif()
