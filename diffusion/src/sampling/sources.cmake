# diffusion/src/sampling: noise schedules, samplers and the coarse-to-fine ascent.
target_sources(deepsolve_diffusion PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/noise_schedule.cpp
  ${CMAKE_CURRENT_LIST_DIR}/sampler.cpp
  ${CMAKE_CURRENT_LIST_DIR}/ode_samplers.cpp
  ${CMAKE_CURRENT_LIST_DIR}/ancestral_samplers.cpp
  ${CMAKE_CURRENT_LIST_DIR}/coarse_to_fine.cpp)
