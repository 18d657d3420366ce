list(APPEND diffusion_test_sources ${CMAKE_CURRENT_LIST_DIR}/test_data.cpp)
