// Joint position mode across lost command packets, against an emulation of the FCI rule
// (libfranka docs/overview.rst, "Packet Handling"): for a missed cycle the robot extrapolates its
// reference (acceleration frozen: dq += ddq dt, q += dq dt) and reports it back as q_d / dq_d /
// ddq_d; every applied command is differenced at 1 ms and must stay inside the velocity,
// acceleration and jerk limits, or the robot aborts with a *_discontinuity reflex.
//
// With the robot's reference fed back (RobotState::q_c, cycles) the command stream stays inside
// the limits through every loss; without it (the loop's old behaviour) the same stream breaks
// them, which is what franka-sim's reflex caught on a loaded machine. The echo is rounded to float32
// as on the wire; the controller's rate_limit_scale margin absorbs that.
//
// Inside the limits is not enough: after a burst the robot's reference has departed from the
// planned command (it froze the acceleration, the plan kept its jerk), and pulling it back greedily
// with limitRate rang for ~10 cycles at up to 0.85 of the acceleration limit and 0.9 of the jerk
// limit, where the plan needs 0.3 and 0.05. The run is compared with the same run without losses.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "expect.hpp"
#include "graspvla/control/controller.hpp"

using namespace graspvla::control;
using graspvla::Status;

namespace {


const Vector7 kHome = (Vector7() << 0.0, -0.3, 0.0, -2.0, 0.0, 1.7, 0.78).finished();

constexpr int kCycles = 4500;

struct Worst {
  double vel = 0.0, acc = 0.0, jerk = 0.0;  // max ratio to the limit over all joints and cycles
  int lost = 0, applied = 0;
  // per cycle: the applied command's acceleration and jerk as fractions of the limits (0 when lost)
  std::vector<Vector7> acc_ratio = std::vector<Vector7>(kCycles, Vector7::Zero());
  std::vector<Vector7> jerk_ratio = std::vector<Vector7>(kCycles, Vector7::Zero());
  std::vector<char> lost_at = std::vector<char>(kCycles, 0);
};

// lost packets: single losses often, bursts of 3 and 8 now and then (the FCI aborts only at 20)
bool lost_cycle(int k) { return k > 1200 && std::getenv("NOLOSS") == nullptr && (k % 53 == 0 || (k % 401 >= 1 && k % 401 <= 3) || (k % 1499 < 8)); }

Worst run(bool feed_back_reference, bool losses = true) {
  const auto model = graspvla::robot::RobotModel::fr3();
  const auto& L = model.limits;
  ControllerConfig cfg;
  cfg.mode = ControlMode::JointPosition;
  cfg.force_threshold = 0.0;
  cfg.watchdog_hold = 0.0;
  cfg.watchdog_stop = 0.0;
  Controller c(model, cfg);
  const double dt = cfg.dt;
  Input in;
  in.state.q = kHome;
  c.reset(in.state, 0.0);
  // the robot's reference (what it applied last), at rest at the start
  Vector7 q = kHome, dq = Vector7::Zero(), ddq = Vector7::Zero();
  Target t;
  t.seq = 1;
  t.stamp = 1.0;
  t.dt = 0.1;
  t.kind = TargetKind::Joint;
  t.length = 30;
  const double shape[7] = {1, 0.5, 1, 0.5, 1, 0.5, 1};
  for (int k = 0; k < t.length; ++k)
    for (int i = 0; i < 7; ++i) t.points[k][i] = kHome[i] + 0.1 * std::sin(0.1 + 2.9 * k / 29.0) * shape[i];
  Worst w;
  Output out;
  int missed = 0;
  for (int k = 0; k < kCycles; ++k) {
    const double now = dt * k;
    if (k == 1000) EXPECT(c.set_target(t, now) == Status::Ok);
    if (losses && lost_cycle(k)) {
      w.lost_at[k] = 1;  // the command for this cycle never arrives: the robot extrapolates
      dq += ddq * dt;
      q += dq * dt;
      ++missed;
      ++w.lost;
      continue;
    }
    in.state.q = q;  // perfect tracking of the reference; what matters here is the reference
    in.state.dq = dq;
    in.state.tau_ext.setZero();
    in.state.cycles = missed + 1;
    in.state.has_commanded = feed_back_reference;
    in.state.q_c = q.cast<float>().cast<double>();  // the echo is float32 on the wire
    in.state.dq_c = dq.cast<float>().cast<double>();
    in.state.ddq_c = ddq.cast<float>().cast<double>();
    in.time = now;
    missed = 0;
    c.update(in, out);
    const Vector7 v = (out.command.q - q) / dt;
    const Vector7 a = (v - dq) / dt;
    const Vector7 j = (a - ddq) / dt;
    for (int i = 0; i < 7; ++i) {
      w.vel = std::max(w.vel, std::abs(v[i]) / L.dq_max[i]);
      w.acc = std::max(w.acc, std::abs(a[i]) / L.ddq_max[i]);
      w.jerk = std::max(w.jerk, std::abs(j[i]) / L.dddq_max[i]);
      w.acc_ratio[k][i] = a[i] / L.ddq_max[i];
      w.jerk_ratio[k][i] = j[i] / L.dddq_max[i];
    }
    q = out.command.q;
    dq = v;
    ddq = a;
    ++w.applied;
  }
  // it really moved: the last point was reached
  double err = 0.0;
  for (int i = 0; i < 7; ++i) err = std::max(err, std::abs(q[i] - t.points[t.length - 1][i]));
  EXPECT(err < 1e-3);
  return w;
}

// The ringing after each loss: over the kWindow applied cycles from the first one after a run of
// lost cycles, compared with the same cycles of the run without losses (same plan, same time).
constexpr int kWindow = 20;
struct Ringing {
  double acc = 0.0, acc_ref = 0.0;  // worst |acceleration| / limit in the windows, with and without losses
  double jerk = 0.0, jerk_ref = 0.0;
  double acc_excess = 0.0;          // worst |a - a_ref| / limit: what the losses added
  int events = 0;
};

Ringing ringing(const Worst& w, const Worst& ref, int burst_min, int burst_max) {
  Ringing r;
  for (int k = 1; k < kCycles; ++k) {
    if (!w.lost_at[k - 1] || w.lost_at[k]) continue;  // k: the first applied cycle after losses
    int burst = 0;
    while (k - 1 - burst >= 0 && w.lost_at[k - 1 - burst]) ++burst;
    if (burst < burst_min || burst > burst_max) continue;
    ++r.events;
    const int k1 = std::min(kCycles, k + kWindow);
    for (int m = k; m < k1; ++m) {
      if (w.lost_at[m]) continue;
      for (int i = 0; i < 7; ++i) {
        r.acc = std::max(r.acc, std::abs(w.acc_ratio[m][i]));
        r.acc_ref = std::max(r.acc_ref, std::abs(ref.acc_ratio[m][i]));
        r.jerk = std::max(r.jerk, std::abs(w.jerk_ratio[m][i]));
        r.jerk_ref = std::max(r.jerk_ref, std::abs(ref.jerk_ratio[m][i]));
        r.acc_excess = std::max(r.acc_excess, std::abs(w.acc_ratio[m][i] - ref.acc_ratio[m][i]));
      }
    }
  }
  return r;
}

}  // namespace

int main() {
  const Worst fed = run(true);
  const Worst old = run(false);
  std::printf("lost %d of %d cycles; worst velocity/acceleration/jerk as a fraction of the limit:\n", fed.lost,
              fed.lost + fed.applied);
  std::printf("  reference fed back: %.3f %.3f %.3f\n", fed.vel, fed.acc, fed.jerk);
  std::printf("  not fed back:       %.3f %.3f %.3f\n", old.vel, old.acc, old.jerk);
  EXPECT(fed.lost > 50);
  EXPECT(fed.vel < 1.0 && fed.acc < 1.0 && fed.jerk < 1.0);  // the robot's thresholds
  EXPECT(old.acc > 1.0 || old.jerk > 1.0);  // the emulation does catch the discontinuity

  const Worst ref = run(true, false);
  std::printf("  no losses:          %.3f %.3f %.3f\n", ref.vel, ref.acc, ref.jerk);
  std::printf("after losses, %d applied cycles (fractions of the limits; ref = same cycles without losses):\n", kWindow);
  std::printf("  burst  events  acc (ref)      jerk (ref)     acc added\n");
  const int bursts[3][2] = {{1, 1}, {2, 3}, {4, 20}};
  for (const auto& b : bursts) {
    const Ringing r = ringing(fed, ref, b[0], b[1]);
    std::printf("  %2d-%-2d  %6d  %.3f (%.3f)  %.3f (%.3f)  %.3f\n", b[0], b[1], r.events, r.acc, r.acc_ref, r.jerk,
                r.jerk_ref, r.acc_excess);
  }
  const Ringing all = ringing(fed, ref, 1, kMaxLostCycles);
  const double plan_acc = ControllerConfig{}.acceleration_scale;
  std::printf("criterion: jerk %.3f <= 2 x %.3f + 0.05; acceleration added %.3f <= %.2f\n", fed.jerk, ref.jerk,
              all.acc_excess, plan_acc);
  // Jerk: without losses the command's is the plan's (jerk_scale); the correction back onto the plan
  // uses as much again (more only for departures it could not undo in 20 ms; the FCI's
  // extrapolation leaves none such here), and the float32 echo adds up to ~0.03 (1e-7 rad
  // differenced three times at 1 ms, over the smallest jerk limit). The greedy correction reached 0.91.
  EXPECT(fed.jerk <= 2.0 * ref.jerk + 0.05);
  // Acceleration: what the losses add in the cycles after each one stays within the plan's own
  // acceleration budget (acceleration_scale of the limit). The greedy correction added 0.87; moving
  // the ~4e-5 rad an 8-cycle burst leaves back onto the plan at the plan's jerk needs ~0.2.
  EXPECT(all.acc_excess <= plan_acc);
  if (expect_failures) std::fprintf(stderr, "%d failure(s)\n", expect_failures);
  return expect_failures ? 1 : 0;
}
