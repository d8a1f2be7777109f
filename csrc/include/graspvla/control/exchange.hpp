#pragma once
// Lock-free single-producer / single-consumer exchange between the policy side and the 1 kHz loop.
//   TripleBuffer<T>: "latest value" slot, wait-free on both sides (an atomic index exchange with a
//                    new-data bit). The writer never waits for the reader and vice versa.
//   SpscRing<T>:     bounded FIFO of recorded ticks; the loop pushes (never blocks: a full ring
//                    counts a drop), another thread pops.
// Both preallocate at construction; push/pop/write/read never allocate.
#include <atomic>
#include <cstdint>
#include <memory>
#include <new>

namespace graspvla::control {

template <class T>
class TripleBuffer {
 public:
  TripleBuffer() = default;
  /// Producer: a reference to the back slot to fill, then publish().
  T& back() noexcept { return slots_[back_]; }
  void publish() noexcept {
    const std::uint8_t prev = middle_.exchange(static_cast<std::uint8_t>(back_ | kDirty), std::memory_order_acq_rel);
    back_ = prev & kIndex;
  }
  void write(const T& v) noexcept {
    back() = v;
    publish();
  }
  /// Consumer: true when a value newer than the last read was published; front() then holds it.
  bool update() noexcept {
    if (!(middle_.load(std::memory_order_relaxed) & kDirty)) return false;
    const std::uint8_t prev = middle_.exchange(front_, std::memory_order_acq_rel);
    front_ = prev & kIndex;
    return true;
  }
  const T& front() const noexcept { return slots_[front_]; }

 private:
  static constexpr std::uint8_t kIndex = 0x3, kDirty = 0x4;
  T slots_[3]{};
  alignas(64) std::atomic<std::uint8_t> middle_{1};
  alignas(64) std::uint8_t back_ = 2;   // producer-owned
  alignas(64) std::uint8_t front_ = 0;  // consumer-owned
};

template <class T>
class SpscRing {
 public:
  explicit SpscRing(std::size_t capacity) : cap_(capacity + 1), buf_(new T[capacity + 1]) {}
  std::size_t capacity() const noexcept { return cap_ - 1; }
  /// Producer. False (and a counted drop) when full.
  bool push(const T& v) noexcept {
    const std::size_t h = head_.load(std::memory_order_relaxed);
    const std::size_t n = (h + 1) % cap_;
    if (n == tail_.load(std::memory_order_acquire)) {
      dropped_.fetch_add(1, std::memory_order_relaxed);
      return false;
    }
    buf_[h] = v;
    head_.store(n, std::memory_order_release);
    return true;
  }
  /// Consumer: copies up to max items into out, returns the count.
  std::size_t pop(T* out, std::size_t max) noexcept {
    std::size_t t = tail_.load(std::memory_order_relaxed);
    const std::size_t h = head_.load(std::memory_order_acquire);
    std::size_t n = 0;
    while (t != h && n < max) {
      out[n++] = buf_[t];
      t = (t + 1) % cap_;
    }
    tail_.store(t, std::memory_order_release);
    return n;
  }
  std::size_t size() const noexcept {
    const std::size_t h = head_.load(std::memory_order_acquire), t = tail_.load(std::memory_order_acquire);
    return (h + cap_ - t) % cap_;
  }
  std::uint64_t dropped() const noexcept { return dropped_.load(std::memory_order_relaxed); }

 private:
  std::size_t cap_;
  std::unique_ptr<T[]> buf_;
  alignas(64) std::atomic<std::size_t> head_{0};
  alignas(64) std::atomic<std::size_t> tail_{0};
  std::atomic<std::uint64_t> dropped_{0};
};

}  // namespace graspvla::control
