#pragma once
// The 1 kHz control loop: a std::thread ticking on absolute deadlines (clock_nanosleep,
// TIMER_ABSTIME, CLOCK_MONOTONIC) or, for deterministic evaluation, lockstep virtual time stepped
// from the caller. Each tick: read the backend, take a new target from the lock-free exchange,
// Controller::update(), write the command, record the tick into an SPSC ring, publish a state
// snapshot. The tick never allocates, never blocks on a lock and never touches Python.
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "graspvla/control/controller.hpp"
#include "graspvla/control/exchange.hpp"
#include "graspvla/control/robot_io.hpp"

namespace graspvla::control {

struct LoopConfig {
  double period = 0.001;      ///< s
  bool lockstep = false;      ///< true: virtual time, ticks run by step() on the caller's thread
  int rt_priority = 80;       ///< SCHED_FIFO priority for the loop thread (0: don't try)
  bool lock_memory = true;    ///< mlockall(MCL_CURRENT | MCL_FUTURE) when permitted
  std::size_t record_capacity = 1 << 16;  ///< ticks kept in the ring until read
};

/// Latest loop state, published every tick.
struct Snapshot {
  RobotState state;
  Output out;
  double time = 0.0;        ///< loop time (s)
  std::uint64_t tick = 0;
  Status status = Status::Working;
};

struct LoopStats {
  std::uint64_t ticks = 0;
  std::uint64_t missed_deadlines = 0;  ///< ticks that finished after the next tick's deadline
  double max_lateness_us = 0.0;        ///< worst wake-up lateness (us)
  std::uint64_t targets_received = 0, targets_rejected = 0;
  std::uint64_t records_dropped = 0;
  std::uint64_t gripper_commands = 0, gripper_rejected = 0;  ///< accepted / rejected push_gripper() calls
  StopReason stop_reason = StopReason::None;
  bool realtime = false;               ///< SCHED_FIFO active
  bool memory_locked = false;
  bool running = false;
  std::string rt_message;              ///< why SCHED_FIFO / mlockall are (not) active
  std::string backend_error;
};

class ControlLoop {
 public:
  ControlLoop(std::shared_ptr<RobotIO> io, const robot::RobotModel& model, const ControllerConfig& ccfg,
              const LoopConfig& lcfg);
  ~ControlLoop();
  ControlLoop(const ControlLoop&) = delete;
  ControlLoop& operator=(const ControlLoop&) = delete;

  /// Starts the backend and (real-time mode) the thread. Throws on backend failure.
  void start();
  /// Stops the thread and the backend; the stop reason becomes Requested if none was set.
  void stop();
  /// Lockstep mode: runs n ticks on this thread. Returns the ticks run.
  std::uint64_t step(std::uint64_t n);

  /// Any thread: validates and offers a target (non-blocking for the loop; producers serialise
  /// on a producer-side mutex). Returns the validation status; the loop accepts it next tick.
  Status push_target(const Target& t);
  /// Any thread, non-real-time: validates a gripper command (check_gripper_command: NaN /
  /// out-of-limit commands are rejected and the gripper keeps its last command) and hands it to the
  /// backend's gripper channel (RobotIO::gripper_command); the tick never waits for the gripper.
  /// Returns the validation status, or Infeasible when the backend has no gripper.
  Status push_gripper(const GripperCommand& c);
  /// Latest snapshot (any thread). False before the first tick.
  bool snapshot(Snapshot& out);
  /// Pops up to max recorded ticks (oldest first).
  std::size_t read_records(Record* out, std::size_t max);
  /// Loop time (s): virtual in lockstep mode, else monotonic time since start().
  double now() const noexcept;
  LoopStats stats() const;
  /// Ask the controller to brake and hold (reason Requested) without ending the loop.
  void halt() noexcept { halt_request_.store(true, std::memory_order_release); }
  /// Clears a stop: the controller restarts from the current state (next tick).
  void resume() noexcept { resume_request_.store(true, std::memory_order_release); }
  bool running() const noexcept { return running_.load(std::memory_order_acquire); }
  const Controller& controller() const noexcept { return controller_; }
  RobotIO& io() noexcept { return *io_; }

 private:
  void tick(double now, double period_us) noexcept;
  void thread_main();

  std::shared_ptr<RobotIO> io_;
  Controller controller_;
  LoopConfig cfg_;
  TripleBuffer<Target> targets_;
  TripleBuffer<Snapshot> snapshots_;
  SpscRing<Record> records_;
  std::mutex producer_mutex_, snapshot_mutex_, records_mutex_, gripper_mutex_;
  std::thread thread_;
  std::atomic<bool> running_{false}, stop_request_{false}, halt_request_{false}, resume_request_{false};
  std::atomic<std::uint64_t> ticks_{0}, missed_{0}, received_{0}, gripper_ok_{0}, gripper_rejected_{0};
  std::atomic<double> max_late_us_{0.0};
  std::atomic<int> stop_reason_{0};
  std::atomic<bool> has_snapshot_{false};
  std::uint64_t last_seq_ = 0;
  bool first_tick_ = true;
  std::atomic<bool> backend_failed_{false};
  double t0_ = 0.0;                  // monotonic start (s)
  std::atomic<double> virtual_time_{0.0};
  bool realtime_ = false, locked_ = false;
  std::string rt_message_;
  std::string backend_error_;
  Input in_{};
  Output out_{};
  Snapshot snap_{};
};

/// CLOCK_MONOTONIC in seconds.
double monotonic_seconds() noexcept;

}  // namespace graspvla::control
