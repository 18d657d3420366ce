// Chainable option fields in the style of LibTorch's TORCH_ARG:
// `CgOptions().rtol(1e-8).max_iterations(500)`.
#pragma once

#include <utility>

#define DEEPSOLVE_ARG(T, name)                      \
 public:                                            \
  auto name(const T& new_##name)->decltype(*this) { \
    this->name##_ = new_##name;                     \
    return *this;                                   \
  }                                                 \
  auto name(T&& new_##name)->decltype(*this) {      \
    this->name##_ = std::move(new_##name);          \
    return *this;                                   \
  }                                                 \
  const T& name() const noexcept {                  \
    return this->name##_;                           \
  }                                                 \
  T& name() noexcept {                              \
    return this->name##_;                           \
  }                                                 \
                                                    \
 private:                                           \
  T name##_
