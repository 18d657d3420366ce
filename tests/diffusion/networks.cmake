# Denoiser networks: shapes, labels, the bias-free UNet's homogeneity, model files, the registry.
list(APPEND diffusion_test_sources ${CMAKE_CURRENT_LIST_DIR}/test_networks.cpp)
