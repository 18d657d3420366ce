// How LibTorch's errors and shapes appear in deepsolve's messages, one way everywhere.
#pragma once

#include <c10/util/ArrayRef.h>
#include <c10/util/Exception.h>

#include <cstdint>
#include <sstream>
#include <string>

namespace deepsolve::learned {

/// The first line of a c10::Error, without LibTorch's backtrace.
inline std::string short_message(const c10::Error& e) {
  std::string m = e.what_without_backtrace();
  const auto nl = m.find('\n');
  if (nl != std::string::npos) m.resize(nl);
  return m;
}

/// e.g. "[2, 1, 64, 64]".
inline std::string shape_string(c10::ArrayRef<std::int64_t> sizes) {
  std::ostringstream s;
  s << sizes;
  return s.str();
}

}  // namespace deepsolve::learned
