#pragma once
// Counts heap allocations made by this thread while a guard is armed. It interposes malloc,
// calloc and realloc (glibc), so it sees operator new and Eigen's aligned_malloc alike: Eigen's
// own EIGEN_RUNTIME_NO_MALLOC check is an eigen_assert, which Release builds compile out.
// Include in exactly one translation unit per test executable.
#include <cstddef>
#include <cstdio>
#include <cstdlib>

#ifdef GRASPVLA_CHECK_MALLOC
#include <Eigen/Core>
#endif

extern "C" void* __libc_malloc(std::size_t);
extern "C" void* __libc_calloc(std::size_t, std::size_t);
extern "C" void* __libc_realloc(void*, std::size_t);

namespace alloc_guard {
inline thread_local bool armed = false;
inline thread_local long count = 0;

struct Scope {
  Scope() {
    count = 0;
    armed = true;
#ifdef GRASPVLA_CHECK_MALLOC
    Eigen::internal::set_is_malloc_allowed(false);
#endif
  }
  ~Scope() {
    armed = false;
#ifdef GRASPVLA_CHECK_MALLOC
    Eigen::internal::set_is_malloc_allowed(true);
#endif
  }
  long allocations() const { return count; }
};

/// Proves the guard sees allocations at all (a test that cannot fail proves nothing).
inline bool self_test() {
  long seen;
  {
    Scope s;
    void* volatile p = std::malloc(64);
    seen = s.allocations();
    std::free(p);
  }
  return seen == 1;
}
}  // namespace alloc_guard

extern "C" void* malloc(std::size_t n) {
  if (alloc_guard::armed) ++alloc_guard::count;
  return __libc_malloc(n);
}
extern "C" void* calloc(std::size_t n, std::size_t m) {
  if (alloc_guard::armed) ++alloc_guard::count;
  return __libc_calloc(n, m);
}
extern "C" void* realloc(void* p, std::size_t n) {
  if (alloc_guard::armed) ++alloc_guard::count;
  return __libc_realloc(p, n);
}

#define CHECK(cond)                                                                   \
  do {                                                                                \
    if (!(cond)) {                                                                    \
      std::fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);   \
      std::exit(1);                                                                   \
    }                                                                                 \
  } while (0)
