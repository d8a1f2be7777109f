#pragma once
// A minimal fork-join parallel_for for batch kernels. Threads are spawned per call: batch
// kernels are called with thousands of items, where ~20 us of spawn cost is noise, and this
// keeps no global state that could deadlock at interpreter shutdown.
#include <algorithm>
#include <cstddef>
#include <thread>
#include <vector>

namespace graspvla {

/// Number of worker threads used by batch kernels (0 = hardware concurrency).
inline std::size_t& default_num_threads() {
  static std::size_t n = 0;
  return n;
}

inline std::size_t resolve_num_threads(std::size_t requested) {
  std::size_t n = requested ? requested : default_num_threads();
  if (n == 0) n = std::max<std::size_t>(1, std::thread::hardware_concurrency());
  return n;
}

/// Calls fn(begin, end) on contiguous chunks of [0, n) from up to `threads` threads.
/// Deterministic partition: results must not depend on the thread count.
template <class Fn>
void parallel_for(std::size_t n, Fn&& fn, std::size_t threads = 0, std::size_t min_chunk = 64) {
  if (n == 0) return;
  std::size_t nt = resolve_num_threads(threads);
  nt = std::min(nt, (n + min_chunk - 1) / min_chunk);
  if (nt <= 1) {
    fn(std::size_t{0}, n);
    return;
  }
  std::vector<std::thread> pool;
  pool.reserve(nt - 1);
  const std::size_t chunk = (n + nt - 1) / nt;
  for (std::size_t t = 1; t < nt; ++t) {
    const std::size_t b = t * chunk, e = std::min(n, b + chunk);
    if (b >= e) break;
    pool.emplace_back([&fn, b, e] { fn(b, e); });
  }
  fn(std::size_t{0}, std::min(n, chunk));
  for (auto& th : pool) th.join();
}

}  // namespace graspvla
