// DEEPSOLVE_VECTOR_CLONES: with GCC on x86-64 Linux, a function marked with it is also compiled
// for AVX2, and the dynamic loader picks the version for the machine (target_clones, an ifunc
// resolved once). AVX2 without FMA: the same operations in the same order on wider vectors, so
// both versions give bit-identical results.
#pragma once

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define DEEPSOLVE_VECTOR_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define DEEPSOLVE_VECTOR_CLONES
#endif
