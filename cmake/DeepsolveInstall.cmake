# Installation: targets, headers, deepsolveConfig.cmake (+ version file) and deepsolve.pc.
include(CMakePackageConfigHelpers)
set(DEEPSOLVE_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/deepsolve)

install(EXPORT deepsolveTargets NAMESPACE deepsolve:: DESTINATION ${DEEPSOLVE_CMAKE_DIR})
configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/deepsolveConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/deepsolveConfig.cmake INSTALL_DESTINATION ${DEEPSOLVE_CMAKE_DIR})
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/deepsolveConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/deepsolveConfig.cmake
              ${CMAKE_CURRENT_BINARY_DIR}/deepsolveConfigVersion.cmake
        DESTINATION ${DEEPSOLVE_CMAKE_DIR})

set(DEEPSOLVE_PC_REQUIRES "eigen3")
if(DEEPSOLVE_WITH_PETSC)
  string(APPEND DEEPSOLVE_PC_REQUIRES " PETSc")
endif()
configure_file(${CMAKE_CURRENT_LIST_DIR}/deepsolve.pc.in ${CMAKE_CURRENT_BINARY_DIR}/deepsolve.pc @ONLY)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/deepsolve.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
