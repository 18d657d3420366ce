// EXPECT_THROW with a check of the message, for every test program: the library's errors must
// name the problem (the file, option, size or value), so the tests check the words.
#pragma once
#include <gtest/gtest.h>

#include <exception>
#include <initializer_list>
#include <string>

namespace deepsolve_test {

/// Runs f(); expects an exception of type E whose message contains every one of `parts`.
template <class E = std::exception, class F>
void expect_error(F&& f, std::initializer_list<std::string> parts) {
  try {
    f();
    ADD_FAILURE() << "no exception; expected one containing '" << *parts.begin() << "'";
  } catch (const E& e) {
    const std::string what = e.what();
    for (const std::string& part : parts)
      EXPECT_NE(what.find(part), std::string::npos)
          << "message: " << what << "\nexpected to contain: " << part;
  }
}

/// The same with one expected part.
template <class E = std::exception, class F>
void expect_error(F&& f, const std::string& part) {
  expect_error<E>(std::forward<F>(f), {part});
}

}  // namespace deepsolve_test
