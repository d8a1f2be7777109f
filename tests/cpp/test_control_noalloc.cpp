// The 1 kHz tick must not touch the heap: the controller core in every mode (including target
// changes, watchdog, retreat), and the whole loop tick with the MuJoCo backend (read, controller,
// write + mj_step, ring buffer, snapshot), checked with the malloc-interposing alloc_guard.
#include <cmath>
#include <cstdio>
#include <memory>
#include <thread>

#include "alloc_guard.hpp"
#include "expect.hpp"
#include "graspvla/control/controller.hpp"
#include "graspvla/control/exchange.hpp"
#include "graspvla/control/loop.hpp"
#include "graspvla/control/sim_io.hpp"

using namespace graspvla::control;
using graspvla::Status;

namespace {

// A 7-joint arm with Franka-like DH geometry (no meshes) above a floor, so contacts occur.
const char* kArmXml = R"(
<mujoco>
  <option timestep="0.001"/>
  <worldbody>
    <geom name="floor" type="plane" size="2 2 0.1"/>
    <body name="link0" pos="0 0 0">
      <body name="link1" pos="0 0 0.333"><joint type="hinge" axis="0 0 1" damping="0.2" armature="0.1"/>
        <geom type="capsule" fromto="0 0 -0.1 0 0 0" size="0.05" mass="2.9"/>
        <body name="link2" quat="0.7071068 -0.7071068 0 0"><joint type="hinge" axis="0 0 1" damping="0.2" armature="0.1"/>
          <geom type="capsule" fromto="0 0 0 0 -0.2 0" size="0.05" mass="2.9"/>
          <body name="link3" pos="0 -0.316 0" quat="0.7071068 0.7071068 0 0"><joint type="hinge" axis="0 0 1" damping="0.2" armature="0.1"/>
            <geom type="capsule" fromto="0 0 -0.1 0 0 0" size="0.05" mass="2.2"/>
            <body name="link4" pos="0.0825 0 0" quat="0.7071068 0.7071068 0 0"><joint type="hinge" axis="0 0 1" damping="0.2" armature="0.1"/>
              <geom type="capsule" fromto="0 0 0 -0.08 0.1 0" size="0.05" mass="2.6"/>
              <body name="link5" pos="-0.0825 0.384 0" quat="0.7071068 -0.7071068 0 0"><joint type="hinge" axis="0 0 1" damping="0.2" armature="0.1"/>
                <geom type="capsule" fromto="0 0 -0.2 0 0 0" size="0.04" mass="2.3"/>
                <body name="link6" quat="0.7071068 0.7071068 0 0"><joint type="hinge" axis="0 0 1" damping="0.2" armature="0.1"/>
                  <geom type="capsule" fromto="0 0 0 0.08 0 0" size="0.04" mass="1.8"/>
                  <body name="link7" pos="0.088 0 0" quat="0.7071068 0.7071068 0 0"><joint type="hinge" axis="0 0 1" damping="0.2" armature="0.1"/>
                    <geom type="cylinder" fromto="0 0 0 0 0 0.1" size="0.04" mass="0.6"/>
                    <body name="hand" pos="0 0 0.107"><geom type="box" size="0.02 0.1 0.03" pos="0 0 0.05" mass="0.7"/>
                      <body name="left_finger" pos="0 0 0.1"><joint name="finger_joint1" type="slide" axis="0 1 0" range="0 0.04" damping="2" armature="0.05"/>
                        <geom type="box" size="0.01 0.005 0.02" mass="0.1" contype="0" conaffinity="0"/></body>
                      <body name="right_finger" pos="0 0 0.1"><joint name="finger_joint2" type="slide" axis="0 -1 0" range="0 0.04" damping="2" armature="0.05"/>
                        <geom type="box" size="0.01 0.005 0.02" mass="0.1" contype="0" conaffinity="0"/></body>
                    </body>
                  </body>
                </body>
              </body>
            </body>
          </body>
        </body>
      </body>
    </body>
  </worldbody>
  <tendon><fixed name="split"><joint joint="finger_joint1" coef="0.5"/><joint joint="finger_joint2" coef="0.5"/></fixed></tendon>
  <actuator>
    <general name="gripper" tendon="split" ctrllimited="true" ctrlrange="0 0.08" forcelimited="true" forcerange="-140 140"
             gainprm="1000" biastype="affine" biasprm="0 -2000 -100"/>
  </actuator>
</mujoco>)";


const Vector7 kHome = (Vector7() << 0.0, -0.3, 0.0, -2.0, 0.0, 1.7, 0.78).finished();

Target joint_chunk(std::uint64_t seq, double stamp, const Vector7& q0, double amp) {
  Target t;
  t.seq = seq;
  t.stamp = stamp;
  t.dt = 0.05;
  t.kind = TargetKind::Joint;
  t.length = 20;
  for (int k = 0; k < t.length; ++k)
    for (int i = 0; i < 7; ++i) t.points[k][i] = q0[i] + amp * std::sin(0.2 * (k + 1) + i);
  return t;
}

void controller_modes() {
  const auto model = graspvla::robot::RobotModel::fr3();
  for (ControlMode mode : {ControlMode::JointImpedance, ControlMode::JointPosition, ControlMode::CartesianImpedance}) {
    ControllerConfig cfg;
    cfg.mode = mode;
    cfg.watchdog_hold = 0.3;
    cfg.watchdog_stop = 0.6;
    Controller c(model, cfg);
    Input in;
    in.state.q = kHome;
    c.reset(in.state, 0.0);
    Output out;
    Target t;
    if (mode == ControlMode::CartesianImpedance) {
      graspvla::robot::Workspace ws;
      graspvla::robot::forward_kinematics(model, kHome, ws);
      const auto& T = ws.frames[graspvla::robot::Tcp];
      const Eigen::Quaterniond q(T.linear());
      t.kind = TargetKind::Cartesian;
      t.length = 10;
      t.dt = 0.05;
      t.seq = 1;
      for (int k = 0; k < t.length; ++k) {
        t.points[k] = {T.translation().x() + 0.005 * k, T.translation().y(), T.translation().z() - 0.003 * k,
                       q.w(), q.x(), q.y(), q.z()};
      }
    } else {
      t = joint_chunk(1, 0.0, kHome, 0.05);
    }
    long allocs = 0;
    int ok_ticks = 0;
    {
      alloc_guard::Scope guard;
      for (int k = 0; k < 3000; ++k) {
        const double time = 0.001 * k;
        if (k == 100 || k == 600) {
          t.seq += 1;
          t.stamp = time;
          if (c.set_target(t, time) == Status::Ok) ++ok_ticks;
        }
        if (k == 700) {
          Target bad = t;
          bad.points[3][2] = std::nan("");
          EXPECT(c.set_target(bad, time) == Status::InvalidInput);
        }
        // a crude plant: the state follows the desired motion
        in.state.q = mode == ControlMode::CartesianImpedance ? in.state.q : out.q_d;
        if (k < 10) in.state.q = kHome;
        in.state.tau_ext.setZero();
        if (k > 2500 && k < 2520) in.state.tau_ext[1] = 30.0;  // a push: retreat
        // lost packets now and then: position mode re-synchronises with the robot's reference
        in.state.cycles = k > 10 && k % 97 == 0 ? 4 : 1;
        in.state.has_commanded = mode == ControlMode::JointPosition;
        in.state.q_c = out.command.q;
        in.state.dq_c = out.command.dq;
        in.time = time;
        const Status s = c.update(in, out);
        (void)s;
      }
      allocs = guard.allocations();
    }
    EXPECT(allocs == 0);
    EXPECT(ok_ticks == 2);
    EXPECT(c.rejected_targets() == 1);
    EXPECT(c.stop_reason() != StopReason::None);  // watchdog or force
    std::printf("controller mode %d: %ld allocations in 3000 ticks, stop reason '%s'\n", static_cast<int>(mode),
                allocs, to_string(c.stop_reason()));
  }
}

void exchange_across_threads() {
  TripleBuffer<Target> tb;
  std::atomic<bool> done{false};
  std::uint64_t last = 0;
  bool monotonic = true, consistent = true;
  std::thread consumer([&] {
    while (!done.load()) {
      if (tb.update()) {
        const Target& t = tb.front();
        if (t.seq < last) monotonic = false;
        // every value of a published target was written with the same seq
        for (int k = 0; k < t.length; ++k)
          if (t.points[k][0] != static_cast<double>(t.seq)) consistent = false;
        last = t.seq;
      }
    }
  });
  for (std::uint64_t s = 1; s <= 200000; ++s) {
    Target& b = tb.back();
    b.seq = s;
    b.length = kMaxChunk;
    for (int k = 0; k < kMaxChunk; ++k) b.points[k][0] = static_cast<double>(s);
    tb.publish();
  }
  done.store(true);
  consumer.join();
  tb.update();
  EXPECT(monotonic);
  EXPECT(consistent);
  EXPECT(tb.front().seq == 200000);
  SpscRing<int> ring(4);
  for (int i = 0; i < 6; ++i) ring.push(i);
  int out[8];
  EXPECT(ring.pop(out, 8) == 4);
  EXPECT(ring.dropped() == 2 && out[0] == 0 && out[3] == 3);
}

void loop_tick_with_mujoco() {
#ifdef GRASPVLA_HAS_MUJOCO
  SimConfig sc;
  sc.model = kArmXml;
  sc.has_q0 = true;
  sc.q0 = kHome;
  auto io = std::make_shared<SimIO>(sc);
  // joint modes only: this toy arm's geometry is not the FR3 model the Cartesian law uses
  for (ControlMode mode : {ControlMode::JointImpedance, ControlMode::JointPosition}) {
    ControllerConfig cc;
    cc.mode = mode;
    LoopConfig lc;
    lc.lockstep = true;
    lc.record_capacity = 4096;
    io->set_arm_configuration(kHome);
    ControlLoop loop(io, graspvla::robot::RobotModel::fr3(), cc, lc);
    loop.start();
    loop.step(50);  // warm-up (MuJoCo's arena, first contact)
    EXPECT(loop.push_target(joint_chunk(1, loop.now(), kHome, 0.05)) == Status::Ok);
    EXPECT(io->has_gripper());
    GripperCommand open_cmd;  // open first (the model starts closed)
    open_cmd.seq = 1;
    EXPECT(loop.push_gripper(open_cmd) == Status::Ok);
    GripperCommand nan_cmd = open_cmd;
    nan_cmd.width = std::nan("");
    EXPECT(loop.push_gripper(nan_cmd) == Status::InvalidInput);  // rejected: the open command stays
    std::vector<Record> recs(4096);
    long allocs = 0;
    Snapshot snap_open, snap_closed;
    {
      alloc_guard::Scope guard;
      loop.step(1000);  // the tick: read + mj_step1, controller, write + mj_step2 + gripper, ring, snapshot
      loop.snapshot(snap_open);
      GripperCommand grasp;  // the non-real-time channel between ticks: a lock-free slot in SimIO
      grasp.seq = 2;
      grasp.action = GripperAction::Grasp;
      grasp.width = 0.0;
      EXPECT(loop.push_gripper(grasp) == Status::Ok);
      loop.step(1000);
      loop.snapshot(snap_closed);
      allocs = guard.allocations();
    }
    const std::size_t n = loop.read_records(recs.data(), recs.size());
    EXPECT(allocs == 0);
    EXPECT(n == 2050);
    EXPECT(snap_open.state.gripper_width > 0.07);
    EXPECT(snap_closed.state.gripper_width < 0.01);
    EXPECT(snap_closed.state.gripper_seq == 2);
    EXPECT(loop.stats().gripper_commands == 2 && loop.stats().gripper_rejected == 1);
    std::printf("gripper: width %.4f m after opening, %.4f m after grasping\n", snap_open.state.gripper_width,
                snap_closed.state.gripper_width);
    std::printf("loop + MuJoCo mode %d: %ld allocations in 2000 ticks, %zu records\n", static_cast<int>(mode), allocs, n);
    loop.stop();
  }
  // the real-time thread runs and stops cleanly
  ControllerConfig cc;
  LoopConfig lc;
  lc.rt_priority = 0;
  lc.lock_memory = false;
  io->set_arm_configuration(kHome);
  ControlLoop rt(io, graspvla::robot::RobotModel::fr3(), cc, lc);
  rt.start();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  rt.stop();
  const LoopStats st = rt.stats();
  EXPECT(st.ticks > 50);
  std::printf("real-time thread: %llu ticks in 200 ms, %llu missed, max lateness %.0f us (%s)\n",
              static_cast<unsigned long long>(st.ticks), static_cast<unsigned long long>(st.missed_deadlines),
              st.max_lateness_us, st.rt_message.c_str());
#else
  std::printf("MuJoCo not found: loop tick test skipped\n");
#endif
}

}  // namespace

int main() {
  if (!alloc_guard::self_test()) {
    std::fprintf(stderr, "alloc_guard does not see allocations\n");
    return 1;
  }
  controller_modes();
  exchange_across_threads();
  loop_tick_with_mujoco();
  if (expect_failures) std::fprintf(stderr, "%d failures\n", expect_failures);
  return expect_failures ? 1 : 0;
}
