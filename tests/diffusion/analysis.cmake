# analysis: Jacobian products, effective dimension, Lanczos spectrum and homogeneity on hand-built
# denoisers with known Jacobians; sample cosines and nearest training images on constructed sets.
list(APPEND diffusion_test_sources ${CMAKE_CURRENT_LIST_DIR}/test_analysis.cpp)
