// A minimal check macro for the C++ tests: reports file:line and counts failures in
// `expect_failures`, which main() turns into the exit code.
#pragma once
#include <cstdio>

inline int expect_failures = 0;

#define EXPECT(cond)                                                                 \
  do {                                                                               \
    if (!(cond)) {                                                                   \
      std::fprintf(stderr, "%s:%d: EXPECT failed: %s\n", __FILE__, __LINE__, #cond); \
      ++expect_failures;                                                             \
    }                                                                                \
  } while (0)
