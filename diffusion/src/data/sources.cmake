# The data part: Gaussian mixtures with analytic scores, point and image data sets, sample metrics.
target_sources(deepsolve_diffusion PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/gaussian_mixture.cpp
  ${CMAKE_CURRENT_LIST_DIR}/point_data.cpp
  ${CMAKE_CURRENT_LIST_DIR}/image_data.cpp
  ${CMAKE_CURRENT_LIST_DIR}/sample_metrics.cpp)
