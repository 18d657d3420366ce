# Installation: targets, headers, deepsolveConfig.cmake (+ version file) and deepsolve.pc.
#
#   <prefix>/include/deepsolve/...                 public headers (+ the generated config.hpp)
#   <prefix>/<libdir>/libdeepsolve_solvers.*
#   <prefix>/<libdir>/libdeepsolve_fortran.*       with Fortran; its deepsolve.mod in
#                                                  <prefix>/include/deepsolve/fortran/
#   <prefix>/<libdir>/cmake/deepsolve/             deepsolveConfig.cmake, ...ConfigVersion.cmake,
#                                                  deepsolveTargets*.cmake,
#                                                  deepsolveFortranTargets*.cmake (with Fortran)
#   <prefix>/<libdir>/pkgconfig/deepsolve.pc
#
# Both the CMake package and the .pc file are relocatable: they locate the prefix from their own
# path, so `cmake --install <build> --prefix <anywhere>` gives a working package.
include(CMakePackageConfigHelpers)
set(DEEPSOLVE_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/deepsolve)

install(EXPORT deepsolveTargets NAMESPACE deepsolve:: DESTINATION ${DEEPSOLVE_CMAKE_DIR})
# deepsolve::fortran in a file of its own: deepsolveConfig.cmake loads it only into projects that
# enable Fortran (it needs MPI's Fortran target, which FindMPI gives only there).
set(DEEPSOLVE_HAVE_FORTRAN OFF)
if(TARGET deepsolve_fortran)
  set(DEEPSOLVE_HAVE_FORTRAN ON)
  install(EXPORT deepsolveFortranTargets NAMESPACE deepsolve:: DESTINATION ${DEEPSOLVE_CMAKE_DIR})
endif()

# Where pkg-config found PETSc at build time; deepsolveConfig.cmake falls back to it when the
# consumer's PKG_CONFIG_PATH does not lead to PETSc.
set(DEEPSOLVE_PETSC_PKGCONFIG_DIR "")
if(DEEPSOLVE_WITH_PETSC)
  pkg_get_variable(DEEPSOLVE_PETSC_PKGCONFIG_DIR PETSc pcfiledir)
endif()

configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/deepsolveConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/deepsolveConfig.cmake INSTALL_DESTINATION ${DEEPSOLVE_CMAKE_DIR})
# 0.x: a minor version may break the API, so only the same minor version is compatible.
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/deepsolveConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/deepsolveConfig.cmake
              ${CMAKE_CURRENT_BINARY_DIR}/deepsolveConfigVersion.cmake
        DESTINATION ${DEEPSOLVE_CMAKE_DIR})

# --- pkg-config -----------------------------------------------------------------------------------
# deepsolve.pc carries what deepsolve::solvers carries in CMake. Eigen and PETSc have .pc files and
# go into Requires. LibTorch has none, and PETSc.pc names no MPI flags (PETSc expects its users to
# compile with mpicc), so the include directories, flags and libraries of the LibTorch and MPI this
# build used are written out directly, as -I/-L/-l flags.

# -L<dir> -l<name> flags for libraries given as imported targets or full paths. The -L is left out
# for the compiler's own link directories (e.g. /usr/lib/x86_64-linux-gnu on Debian).
function(_deepsolve_pc_link_flags out)
  set(flags "")
  set(dirs ${CMAKE_CXX_IMPLICIT_LINK_DIRECTORIES})
  foreach(item IN LISTS ARGN)
    if(TARGET ${item})
      get_target_property(type ${item} TYPE)
      if(type STREQUAL "INTERFACE_LIBRARY")
        continue()
      endif()
      get_target_property(configs ${item} IMPORTED_CONFIGURATIONS)
      set(location "")
      if(configs)
        list(GET configs 0 config)
        get_target_property(location ${item} IMPORTED_LOCATION_${config})
      endif()
      if(NOT location)
        get_target_property(location ${item} IMPORTED_LOCATION)
      endif()
      if(NOT location)
        message(WARNING "deepsolve.pc: no library file for target ${item}; it is left out")
        continue()
      endif()
      set(item ${location})
    endif()
    if(item MATCHES "^(.*)/lib([^/]+)\\.(so|a)(\\.[0-9.]+)?$")
      set(dir ${CMAKE_MATCH_1})
      if(NOT dir IN_LIST dirs)
        list(APPEND dirs ${dir})
        string(APPEND flags " -L${dir}")
      endif()
      string(APPEND flags " -l${CMAKE_MATCH_2}")
    else()
      string(APPEND flags " ${item}")
    endif()
  endforeach()
  string(STRIP "${flags}" flags)
  set(${out} "${flags}" PARENT_SCOPE)
endfunction()

# -I flags, without the compiler's own include directories.
function(_deepsolve_pc_include_flags out)
  set(dirs "")
  foreach(dir IN LISTS ARGN)
    if(NOT dir IN_LIST CMAKE_CXX_IMPLICIT_INCLUDE_DIRECTORIES AND NOT dir IN_LIST dirs)
      list(APPEND dirs ${dir})
    endif()
  endforeach()
  list(TRANSFORM dirs PREPEND "-I")
  string(JOIN " " flags ${dirs})
  set(${out} "${flags}" PARENT_SCOPE)
endfunction()

# -D flags from the targets' INTERFACE_COMPILE_DEFINITIONS (entries that are generator expressions
# only forward other targets' definitions and are skipped).
function(_deepsolve_pc_definition_flags out)
  set(all "")
  foreach(target IN LISTS ARGN)
    if(NOT TARGET ${target})
      continue()
    endif()
    get_target_property(definitions ${target} INTERFACE_COMPILE_DEFINITIONS)
    foreach(definition IN LISTS definitions)
      string(FIND "${definition}" "$<" genex)
      if(definition AND genex EQUAL -1 AND NOT definition IN_LIST all)
        list(APPEND all ${definition})
      endif()
    endforeach()
  endforeach()
  list(TRANSFORM all PREPEND "-D")
  string(JOIN " " flags ${all})
  set(${out} "${flags}" PARENT_SCOPE)
endfunction()

set(DEEPSOLVE_PC_REQUIRES "eigen3")
set(_pc_include_dirs ${TORCH_INCLUDE_DIRS})
# What LibTorch's targets ask of code that includes its headers: the C++ ABI flag, the USE_*
# feature macros of torch_cpu, the glog/gflags macros of c10.
_deepsolve_pc_definition_flags(_pc_definitions torch torch_cpu torch_cuda c10 c10_cuda glog::glog gflags)
set(_pc_cflags "${TORCH_CXX_FLAGS} ${_pc_definitions}")
set(_pc_libs torch)
foreach(lib torch_cpu torch_cuda c10 c10_cuda)
  if(TARGET ${lib})
    list(APPEND _pc_libs ${lib})
  endif()
endforeach()
if(DEEPSOLVE_WITH_PETSC)
  string(APPEND DEEPSOLVE_PC_REQUIRES " PETSc")
  list(APPEND _pc_include_dirs ${MPI_CXX_INCLUDE_DIRS})
  list(APPEND _pc_libs ${MPI_CXX_LIBRARIES})
endif()
_deepsolve_pc_include_flags(_pc_include_flags ${_pc_include_dirs})
_deepsolve_pc_link_flags(DEEPSOLVE_PC_DEPENDENCY_LIBS ${_pc_libs})
string(STRIP "${_pc_include_flags} ${_pc_cflags}" DEEPSOLVE_PC_DEPENDENCY_CFLAGS)

# The prefix relative to the .pc file's own directory, so that the file works wherever the
# package is installed (pkg-config and pkgconf both define ${pcfiledir}).
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
  set(DEEPSOLVE_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
  set(DEEPSOLVE_PC_LIBDIR "${CMAKE_INSTALL_LIBDIR}")
else()
  file(RELATIVE_PATH _pc_up "/p/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/p")
  string(REGEX REPLACE "/$" "" _pc_up "${_pc_up}")
  set(DEEPSOLVE_PC_PREFIX "\${pcfiledir}/${_pc_up}")
  set(DEEPSOLVE_PC_LIBDIR "\${prefix}/${CMAKE_INSTALL_LIBDIR}")
endif()
if(IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
  set(DEEPSOLVE_PC_INCLUDEDIR "${CMAKE_INSTALL_INCLUDEDIR}")
else()
  set(DEEPSOLVE_PC_INCLUDEDIR "\${prefix}/${CMAKE_INSTALL_INCLUDEDIR}")
endif()

configure_file(${CMAKE_CURRENT_LIST_DIR}/deepsolve.pc.in ${CMAKE_CURRENT_BINARY_DIR}/deepsolve.pc @ONLY)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/deepsolve.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
