deepsolve_add_gtest(NAME test_diffusion_data SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_data.cpp
                    LIBS deepsolve::diffusion LABELS diffusion)
