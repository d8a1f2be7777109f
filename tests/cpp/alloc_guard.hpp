#pragma once
// Counts heap allocations made by this thread while a guard is armed. Include in exactly one
// translation unit per test executable (it replaces global operator new/delete).
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <new>

#ifdef GRASPVLA_CHECK_MALLOC
#include <Eigen/Core>
#endif

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
}  // namespace alloc_guard

void* operator new(std::size_t n) {
  if (alloc_guard::armed) ++alloc_guard::count;
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) { return operator new(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

#define CHECK(cond)                                                          \
  do {                                                                       \
    if (!(cond)) {                                                           \
      std::fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
      std::exit(1);                                                          \
    }                                                                        \
  } while (0)
