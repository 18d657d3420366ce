// EXPECT_THROW with a check of the message, for the tests of deepsolve::learned.
#pragma once
#include <gtest/gtest.h>

#include <string>

namespace learned_test {

/// Expects f() to throw an E whose message contains `expected_part`.
template <class E, class F>
void expect_error(F&& f, const std::string& expected_part) {
  try {
    f();
    ADD_FAILURE() << "no exception; expected one containing '" << expected_part << "'";
  } catch (const E& e) {
    EXPECT_NE(std::string(e.what()).find(expected_part), std::string::npos)
        << "message: " << e.what() << "\nexpected to contain: " << expected_part;
  }
}

}  // namespace learned_test
