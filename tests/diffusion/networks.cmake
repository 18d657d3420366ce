# Denoiser networks: shapes, labels, the bias-free UNet's homogeneity, model files, the registry.
deepsolve_add_gtest(NAME test_diffusion_networks
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_networks.cpp
  LIBS deepsolve::diffusion LABELS diffusion)
