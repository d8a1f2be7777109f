#include "graspvla/control/loop.hpp"

#include <pthread.h>
#include <sched.h>
#include <sys/mman.h>
#include <time.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>

#include "graspvla/core/errors.hpp"

namespace graspvla::control {

double monotonic_seconds() noexcept {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

namespace {
void add_ns(timespec& t, long ns) {
  t.tv_nsec += ns;
  while (t.tv_nsec >= 1000000000L) {
    t.tv_nsec -= 1000000000L;
    ++t.tv_sec;
  }
}
double to_s(const timespec& t) { return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec); }

void atomic_max(std::atomic<double>& a, double v) {
  double cur = a.load(std::memory_order_relaxed);
  while (v > cur && !a.compare_exchange_weak(cur, v, std::memory_order_relaxed)) {
  }
}
}  // namespace

ControlLoop::ControlLoop(std::shared_ptr<RobotIO> io, const robot::RobotModel& model, const ControllerConfig& ccfg,
                         const LoopConfig& lcfg)
    : io_(std::move(io)), controller_(model, ccfg), cfg_(lcfg), records_(lcfg.record_capacity) {
  if (!io_) throw InvalidArgument("io: a RobotIO backend is required");
  if (!(lcfg.period > 0.0) || std::abs(lcfg.period - ccfg.dt) > 1e-12) {
    throw InvalidArgument("period: must be positive and equal to the controller's dt");
  }
}

ControlLoop::~ControlLoop() { stop(); }

double ControlLoop::now() const noexcept {
  if (cfg_.lockstep) return virtual_time_.load(std::memory_order_acquire);
  return monotonic_seconds() - t0_;
}

void ControlLoop::start() {
  if (running_.load()) return;
  if (!io_->start(controller_.config().mode)) {
    backend_error_ = io_->error();
    throw InvalidArgument("io: backend failed to start: " + backend_error_);
  }
  first_tick_ = true;
  backend_failed_.store(false);
  stop_request_.store(false);
  t0_ = monotonic_seconds();
  running_.store(true);
  if (!cfg_.lockstep) thread_ = std::thread([this] { thread_main(); });
}

void ControlLoop::stop() {
  if (!running_.load() && !thread_.joinable()) return;
  stop_request_.store(true, std::memory_order_release);
  if (thread_.joinable()) thread_.join();
  running_.store(false);
  if (stop_reason_.load() == 0) stop_reason_.store(static_cast<int>(StopReason::Requested));
  io_->stop();
}

std::uint64_t ControlLoop::step(std::uint64_t n) {
  if (!cfg_.lockstep) throw InvalidArgument("step: only in lockstep mode (LoopConfig.lockstep = true)");
  if (!running_.load()) throw InvalidArgument("step: call start() first");
  std::uint64_t k = 0;
  for (; k < n; ++k) {
    const double t0 = monotonic_seconds();
    tick(virtual_time_.load(std::memory_order_relaxed), cfg_.period * 1e6);
    (void)t0;
    virtual_time_.store(virtual_time_.load(std::memory_order_relaxed) + cfg_.period, std::memory_order_release);
    if (!running_.load(std::memory_order_relaxed) || backend_failed_) break;
  }
  return k;
}

Status ControlLoop::push_target(const Target& t) {
  const Status s = controller_.check_target(t);
  if (s != Status::Ok) return s;
  std::lock_guard<std::mutex> lock(producer_mutex_);  // producers only; the loop never takes it
  targets_.write(t);
  return Status::Ok;
}

Status ControlLoop::push_gripper(const GripperCommand& c) {
  Status s = check_gripper_command(c, controller_.config());
  if (s == Status::Ok) {
    std::lock_guard<std::mutex> lock(gripper_mutex_);  // gripper producers only; the loop never takes it
    s = io_->gripper_command(c);
  }
  (s == Status::Ok ? gripper_ok_ : gripper_rejected_).fetch_add(1, std::memory_order_relaxed);
  return s;
}

bool ControlLoop::snapshot(Snapshot& out) {
  if (!has_snapshot_.load(std::memory_order_acquire)) return false;
  std::lock_guard<std::mutex> lock(snapshot_mutex_);  // consumers only
  snapshots_.update();
  out = snapshots_.front();
  return true;
}

std::size_t ControlLoop::read_records(Record* out, std::size_t max) {
  std::lock_guard<std::mutex> lock(records_mutex_);  // consumers only
  return records_.pop(out, max);
}

LoopStats ControlLoop::stats() const {
  LoopStats s;
  s.ticks = ticks_.load();
  s.missed_deadlines = missed_.load();
  s.max_lateness_us = max_late_us_.load();
  s.targets_received = received_.load();
  s.targets_rejected = controller_.rejected_targets();
  s.records_dropped = records_.dropped();
  s.gripper_commands = gripper_ok_.load();
  s.gripper_rejected = gripper_rejected_.load();
  s.stop_reason = static_cast<StopReason>(stop_reason_.load());
  s.realtime = realtime_;
  s.memory_locked = locked_;
  s.running = running_.load();
  s.rt_message = rt_message_;
  s.backend_error = backend_failed_ ? io_->error() : backend_error_;
  return s;
}

void ControlLoop::tick(double now, double period_us) noexcept {
  double t_start = monotonic_seconds();
  double dt = cfg_.period;
  Status rs = io_->read(in_.state, dt);
  // lost cycles (a self-paced robot reports the elapsed duration): the controller catches up
  in_.state.cycles = std::isfinite(dt) ? static_cast<int>(std::clamp(std::lround(dt / cfg_.period), 1L, static_cast<long>(kMaxLostCycles))) : 1;
  if (io_->self_paced()) t_start = monotonic_seconds();  // a blocking read is waiting, not computing
  in_.time = now;
  if (first_tick_ || resume_request_.exchange(false, std::memory_order_acq_rel)) {
    controller_.reset(in_.state, now);
    first_tick_ = false;
  }
  if (static_cast<int>(rs) < 0) {
    controller_.fault(StopReason::BackendError);
    backend_failed_ = true;
  }
  if (targets_.update()) {
    const Target& t = targets_.front();
    if (t.seq != last_seq_ || t.seq == 0) {
      last_seq_ = t.seq;
      received_.fetch_add(1, std::memory_order_relaxed);
      controller_.set_target(t, now);
    }
  }
  if (halt_request_.exchange(false, std::memory_order_acq_rel)) controller_.request_stop();
  const Status st = controller_.update(in_, out_);
  if (in_.state.gripper_busy) out_.flags |= kFlagGripperBusy;
  if (in_.state.gripper_grasped) out_.flags |= kFlagGripperGrasped;
  const Status ws = io_->write(out_.command);
  if (static_cast<int>(ws) < 0) {
    controller_.fault(StopReason::BackendError);
    backend_failed_ = true;
  }
  stop_reason_.store(static_cast<int>(controller_.stop_reason()), std::memory_order_relaxed);

  const double compute_us = (monotonic_seconds() - t_start) * 1e6;
  Record r;
  r.t = now;
  for (int i = 0; i < 7; ++i) {
    r.q[i] = in_.state.q[i];
    r.dq[i] = in_.state.dq[i];
    r.q_d[i] = out_.q_d[i];
    r.dq_d[i] = out_.dq_d[i];
    r.ddq_d[i] = out_.ddq_d[i];
    r.tau[i] = out_.command.mode == ControlMode::JointPosition ? out_.command.q[i] : out_.command.tau[i];
  }
  for (int i = 0; i < 3; ++i) {
    r.x[i] = out_.x[i];
    r.x_d[i] = out_.x_d[i];
  }
  r.f_ext = out_.f_ext;
  r.status = static_cast<double>(out_.stop_reason);
  r.flags = static_cast<double>(out_.flags);
  r.compute_us = compute_us;
  r.period_us = period_us;
  r.seq = static_cast<double>(out_.seq);
  r.gripper_width = in_.state.gripper_width;
  r.cycles = static_cast<double>(in_.state.cycles);
  records_.push(r);

  Snapshot& s = snapshots_.back();
  s.state = in_.state;
  s.out = out_;
  s.time = now;
  s.tick = ticks_.load(std::memory_order_relaxed);
  s.status = st;
  snapshots_.publish();
  has_snapshot_.store(true, std::memory_order_release);
  ticks_.fetch_add(1, std::memory_order_relaxed);
}

void ControlLoop::thread_main() {
  // real-time setup: optional, with a clear message when not permitted
  rt_message_.clear();
  if (cfg_.rt_priority > 0) {
    sched_param sp{};
    sp.sched_priority = cfg_.rt_priority;
    const int rc = pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp);
    realtime_ = rc == 0;
    rt_message_ = realtime_ ? "SCHED_FIFO priority " + std::to_string(cfg_.rt_priority)
                            : std::string("SCHED_FIFO not permitted (") + std::strerror(rc) +
                                  "): running SCHED_OTHER; grant rtprio (limits.conf) or CAP_SYS_NICE for real-time";
  } else {
    rt_message_ = "SCHED_FIFO not requested";
  }
  if (cfg_.lock_memory) {
    locked_ = mlockall(MCL_CURRENT | MCL_FUTURE) == 0;
    rt_message_ += locked_ ? "; memory locked" : std::string("; mlockall failed (") + std::strerror(errno) +
                                                     "): raise memlock limit for locked memory";
  }
  if (!io_->thread_start()) {
    backend_failed_ = true;
    stop_reason_.store(static_cast<int>(StopReason::BackendError));
    running_.store(false, std::memory_order_release);
    return;
  }
  {  // prefault the stack
    volatile char buf[64 * 1024];
    for (std::size_t i = 0; i < sizeof(buf); i += 4096) buf[i] = 0;
  }
  const long period_ns = static_cast<long>(std::llround(cfg_.period * 1e9));
  timespec next;
  clock_gettime(CLOCK_MONOTONIC, &next);
  double last_start = to_s(next);
  const bool paced = io_->self_paced();
  while (!stop_request_.load(std::memory_order_acquire)) {
    if (!paced) {
      add_ns(next, period_ns);
      while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, nullptr) == EINTR) {
      }
    }
    const double wake = monotonic_seconds();
    const double deadline = paced ? wake : to_s(next);
    const double late_us = (wake - deadline) * 1e6;
    atomic_max(max_late_us_, late_us);
    tick(wake - t0_, (wake - last_start) * 1e6);
    last_start = wake;
    if (backend_failed_) break;  // e.g. a libfranka reflex: the motion has ended
    const double done = monotonic_seconds();
    if (!paced && done > deadline + cfg_.period) {
      // this tick's command is late: count the deadlines passed and skip them (no catch-up burst)
      const long skipped = static_cast<long>((done - deadline) / cfg_.period);
      missed_.fetch_add(static_cast<std::uint64_t>(skipped), std::memory_order_relaxed);
      for (long k = 0; k < skipped; ++k) add_ns(next, period_ns);
    }
  }
  if (realtime_) {
    sched_param sp{};
    pthread_setschedparam(pthread_self(), SCHED_OTHER, &sp);
  }
  running_.store(false, std::memory_order_release);
}

}  // namespace graspvla::control
