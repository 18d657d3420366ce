# analysis: the Jacobian of a denoiser (products, effective dimension, Lanczos spectrum) and the
# generalization measures (sample cosines, nearest training images).
target_sources(deepsolve_diffusion PRIVATE ${CMAKE_CURRENT_LIST_DIR}/jacobian.cpp
                                           ${CMAKE_CURRENT_LIST_DIR}/generalization.cpp)
