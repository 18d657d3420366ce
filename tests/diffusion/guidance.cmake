# guidance: the policies (none, cfg, interval, schedule, ag, linear-ag) driven directly with
# evaluation points on hand-built conditional denoisers: exact NFE counts, shrinking
# unconditional batches, the Adaptive Guidance cutoff, rescale, LinearAG's fit and file.
list(APPEND diffusion_test_sources ${CMAKE_CURRENT_LIST_DIR}/test_guidance.cpp)
