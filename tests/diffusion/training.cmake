# Denoising score matching through learned's trainer (training.hpp): the analytic score of
# mixture8 learned by a small MLP, exact resume with the weight average, early stopping on the
# held-out loss, the EDM preconditioning and denoiser files.
list(APPEND diffusion_test_sources ${CMAKE_CURRENT_LIST_DIR}/test_training.cpp)
