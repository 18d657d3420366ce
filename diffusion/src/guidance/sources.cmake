# Guidance policies: classifier-free guidance and its per-sample variants (guidance.hpp), LinearAG
# (linear_ag.hpp).
target_sources(deepsolve_diffusion PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/policies.cpp
  ${CMAKE_CURRENT_LIST_DIR}/guided_denoising.cpp
  ${CMAKE_CURRENT_LIST_DIR}/linear_ag.cpp)
