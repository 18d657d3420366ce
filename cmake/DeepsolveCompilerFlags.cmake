# Warnings and the sanitizer configuration, applied to deepsolve's own targets through an interface
# target so that they never leak into a downstream project.
add_library(deepsolve_warnings INTERFACE)
target_compile_options(deepsolve_warnings INTERFACE
  $<$<COMPILE_LANG_AND_ID:CXX,GNU,Clang>:-Wall -Wextra>)

if(DEEPSOLVE_SANITIZE)
  set(_san -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  # LibTorch's CPU kernels trip -fsanitize=vptr through its own type-erased calls; it is not ours.
  list(APPEND _san -fno-sanitize=vptr)
  add_compile_options(${_san})
  add_link_options(${_san})
endif()
