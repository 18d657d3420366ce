# analysis: Jacobian products, effective dimension, Lanczos spectrum and homogeneity on hand-built
# denoisers with known Jacobians; sample cosines and nearest training images on constructed sets.
deepsolve_add_gtest(NAME test_diffusion_analysis
                    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_analysis.cpp
                    LIBS deepsolve::diffusion LABELS diffusion)
