# Denoiser networks (MLP, UNet, bias-free UNet) and their model-registry types.
target_sources(deepsolve_diffusion PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/network_support.cpp ${CMAKE_CURRENT_LIST_DIR}/mlp_denoiser.cpp
  ${CMAKE_CURRENT_LIST_DIR}/unet_denoiser.cpp ${CMAKE_CURRENT_LIST_DIR}/model_types.cpp)
