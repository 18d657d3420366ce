# Training by denoising score matching: noise-level distributions, the weight average, the
# training loop through learned::fit, and denoiser model files.
target_sources(deepsolve_diffusion PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/noise_levels.cpp ${CMAKE_CURRENT_LIST_DIR}/weight_average.cpp
  ${CMAKE_CURRENT_LIST_DIR}/training.cpp ${CMAKE_CURRENT_LIST_DIR}/denoiser_file.cpp)
