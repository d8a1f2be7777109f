// graspvla._core.control: the 1 kHz control loop, its controller core and the MuJoCo backend.
// Validation with the GIL held; every blocking or long call releases it.
#include <pybind11/eigen.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <atomic>
#include <cmath>
#include <cstdint>
#include <memory>

#include "common.hpp"
#include "graspvla/control/controller.hpp"
#include "graspvla/control/filters.hpp"
#include "graspvla/control/franka_io.hpp"
#include "graspvla/control/loop.hpp"
#include "graspvla/control/sim_io.hpp"
#include "graspvla/core/errors.hpp"
#include "graspvla/robot/dynamics.hpp"
#include "registry.hpp"

namespace py = pybind11;
using namespace graspvla::control;
using graspvla::Status;
using graspvla::bindings::checked_array;
using graspvla::robot::RobotModel;

namespace {

RobotModel model_by_name(const std::string& robot, double finger_extension) {
  if (robot == "fr3") return RobotModel::fr3(finger_extension);
  if (robot == "panda") return RobotModel::panda(finger_extension);
  throw graspvla::InvalidArgument("robot: expected 'fr3' or 'panda', got '" + robot + "'");
}

Target make_target(const py::object& points, int kind, double dt, double stamp, std::uint64_t seq) {
  py::array_t<double> a = py::array_t<double, py::array::c_style | py::array::forcecast>::ensure(points);
  if (!a) throw graspvla::InvalidArgument("points: expected a float array of shape (L, 7) or (7,)");
  if (a.ndim() == 1) a = a.reshape({py::ssize_t(1), a.shape(0)});
  if (a.ndim() != 2 || a.shape(1) != 7) {
    throw graspvla::InvalidArgument("points: expected shape (L, 7) (joint q, or x y z qw qx qy qz)");
  }
  if (a.shape(0) < 1 || a.shape(0) > kMaxChunk) {
    throw graspvla::InvalidArgument("points: chunk length must be 1.." + std::to_string(kMaxChunk));
  }
  if (kind != 0 && kind != 1) throw graspvla::InvalidArgument("kind: 0 (joint) or 1 (cartesian)");
  Target t;
  t.seq = seq;
  t.stamp = stamp;
  t.dt = dt;
  t.kind = static_cast<TargetKind>(kind);
  t.length = static_cast<int>(a.shape(0));
  auto r = a.unchecked<2>();
  for (int k = 0; k < t.length; ++k)
    for (int i = 0; i < 7; ++i) t.points[k][i] = r(k, i);
  return t;
}

py::dict snapshot_dict(const Snapshot& s) {
  py::dict d;
  d["time"] = s.time;
  d["tick"] = s.tick;
  d["q"] = Vector7(s.state.q);
  d["dq"] = Vector7(s.state.dq);
  d["tau_ext"] = Vector7(s.state.tau_ext);
  d["q_d"] = Vector7(s.out.q_d);
  d["dq_d"] = Vector7(s.out.dq_d);
  d["tau"] = Vector7(s.out.command.tau);
  d["q_cmd"] = Vector7(s.out.command.q);
  d["x"] = Eigen::Vector3d(s.out.x);
  d["x_d"] = Eigen::Vector3d(s.out.x_d);
  d["f_ext"] = s.out.f_ext;
  d["stop_reason"] = s.out.stop_reason;
  d["flags"] = s.out.flags;
  d["seq"] = s.out.seq;
  d["status"] = static_cast<int>(s.status);
  d["gripper_width"] = s.state.gripper_width;
  d["gripper_busy"] = s.state.gripper_busy;
  d["gripper_grasped"] = s.state.gripper_grasped;
  d["gripper_seq"] = s.state.gripper_seq;
  return d;
}

// pylibfranka bridge: a RobotIO whose read()/write() call pylibfranka's ActiveControl
// readOnce()/writeOnce() with the GIL held only for those calls; the controller, the safety
// layer, the exchange and the recording run in the loop thread without the GIL.
//
// Gripper: pylibfranka's Gripper calls block for seconds (TCP) and do not release the GIL, so they
// never run here: gripper_command() hands the command to `gripper_sink`, a Python callable that
// queues it for a worker (graspvla.control.bridge.GripperWorker) and returns at once; the worker
// reports the Hand's state back with set_gripper_state(), which read() copies into RobotState.
class PyFrankaIO final : public RobotIO {
 public:
  PyFrankaIO(py::object robot, const RobotModel& model, py::object gripper_sink)
      : robot_(std::move(robot)), model_(model), gripper_sink_(std::move(gripper_sink)) {
    py::module_ pf = py::module_::import("pylibfranka");
    torques_ = pf.attr("Torques");
    positions_ = pf.attr("JointPositions");
    controller_mode_ = pf.attr("ControllerMode");
  }
  ~PyFrankaIO() override {
    py::gil_scoped_acquire gil;
    active_ = py::object();
    robot_ = py::object();
    gripper_sink_ = py::object();
  }
  bool has_gripper() const noexcept override { return static_cast<bool>(gripper_sink_) && !gripper_sink_.is_none(); }
  Status gripper_command(const GripperCommand& c) noexcept override {
    if (!has_gripper()) return Status::Infeasible;
    py::gil_scoped_acquire gil;  // the pushing thread, never the loop thread
    try {
      gripper_sink_(static_cast<int>(c.action), c.width, c.speed, c.force, c.epsilon_inner, c.epsilon_outer, c.seq);
    } catch (py::error_already_set& e) {
      if (error_.empty()) error_ = e.what();
      return Status::InvalidInput;
    }
    return Status::Ok;
  }
  /// Called by the gripper worker (any thread) with the Hand's latest state.
  void set_gripper_state(double width, bool busy, bool grasped, std::uint64_t seq) noexcept {
    g_width_.store(width, std::memory_order_relaxed);
    g_busy_.store(busy, std::memory_order_relaxed);
    g_grasped_.store(grasped, std::memory_order_relaxed);
    g_seq_.store(seq, std::memory_order_relaxed);
  }
  bool start(ControlMode mode) override {
    py::gil_scoped_acquire gil;
    mode_ = mode;
    try {
      if (mode == ControlMode::JointPosition) {
        active_ = robot_.attr("start_joint_position_control")(controller_mode_.attr("JointImpedance"));
      } else {
        active_ = robot_.attr("start_torque_control")();
      }
    } catch (py::error_already_set& e) {
      error_ = e.what();
      return false;
    }
    return true;
  }
  Status read(RobotState& s, double& dt) noexcept override {
    {
      py::gil_scoped_acquire gil;
      try {
        py::tuple r = active_.attr("readOnce")();
        py::object st = r[0];
        dt = r[1].attr("to_sec")().cast<double>();
        copy7(st.attr("q"), s.q);
        copy7(st.attr("dq"), s.dq);
        copy7(st.attr("tau_ext_hat_filtered"), s.tau_ext);
        if (mode_ == ControlMode::JointPosition) {  // the reference the robot holds, extrapolation included
          copy7(st.attr("q_d"), s.q_c);
          copy7(st.attr("dq_d"), s.dq_c);
          copy7(st.attr("ddq_d"), s.ddq_c);
          s.has_commanded = true;
        }
        s.time = st.attr("time").attr("to_sec")().cast<double>();
        last_q_ = s.q;
        s.gripper_width = g_width_.load(std::memory_order_relaxed);
        s.gripper_busy = g_busy_.load(std::memory_order_relaxed);
        s.gripper_grasped = g_grasped_.load(std::memory_order_relaxed);
        s.gripper_seq = g_seq_.load(std::memory_order_relaxed);
      } catch (std::exception& e) {
        if (error_.empty()) error_ = e.what();
        return Status::InvalidInput;
      }
    }
    graspvla::robot::coriolis_torques(model_, s.q, s.dq, s.coriolis);
    return Status::Ok;
  }
  Status write(const Command& cmd) noexcept override {
    py::gil_scoped_acquire gil;
    try {
      py::list v(7);
      const Vector7& src = mode_ == ControlMode::JointPosition ? cmd.q : cmd.tau;
      for (int i = 0; i < 7; ++i) v[i] = src[i];
      py::object c = mode_ == ControlMode::JointPosition ? positions_(v) : torques_(v);
      if (cmd.finished) c.attr("motion_finished") = true;
      active_.attr("writeOnce")(c);
    } catch (std::exception& e) {
      if (error_.empty()) error_ = e.what();
      return Status::InvalidInput;
    }
    return Status::Ok;
  }
  void stop() noexcept override {
    py::gil_scoped_acquire gil;
    if (!active_ || !error_.empty()) {
      active_ = py::object();
      return;
    }
    try {
      active_.attr("readOnce")();
      py::list v(7);
      for (int i = 0; i < 7; ++i) v[i] = mode_ == ControlMode::JointPosition ? last_q_[i] : 0.0;
      py::object c = mode_ == ControlMode::JointPosition ? positions_(v) : torques_(v);
      c.attr("motion_finished") = true;
      active_.attr("writeOnce")(c);
    } catch (std::exception& e) {
      if (error_.empty()) error_ = e.what();
    }
    active_ = py::object();
  }
  bool self_paced() const noexcept override { return true; }
  std::string name() const override { return "pylibfranka"; }
  std::string error() const override { return error_; }

 private:
  static void copy7(const py::object& o, Vector7& dst) {
    auto a = py::array_t<double, py::array::forcecast>::ensure(o);
    if (!a || a.size() != 7) throw std::runtime_error("pylibfranka state: expected 7 values");
    const double* p = a.data();
    for (int i = 0; i < 7; ++i) dst[i] = p[i];
  }
  py::object robot_, active_, torques_, positions_, controller_mode_;
  RobotModel model_;
  py::object gripper_sink_;
  std::atomic<double> g_width_{0.0};
  std::atomic<bool> g_busy_{false}, g_grasped_{false};
  std::atomic<std::uint64_t> g_seq_{0};
  ControlMode mode_ = ControlMode::JointImpedance;
  Vector7 last_q_ = Vector7::Zero();
};

#ifdef GRASPVLA_HAS_MUJOCO
SimConfig sim_config(const std::vector<std::string>& joints, const std::string& force_body, double timestep,
                     int substeps, const std::string& gripper_actuator, const std::vector<std::string>& fingers) {
  SimConfig c;
  if (!joints.empty()) {
    if (joints.size() != 7) throw graspvla::InvalidArgument("joint_names: expected 7 names");
    for (int i = 0; i < 7; ++i) c.joint_names[i] = joints[i];
  }
  if (fingers.size() != 2) throw graspvla::InvalidArgument("finger_joints: expected 2 names");
  c.finger_joints = {fingers[0], fingers[1]};
  c.gripper_actuator = gripper_actuator;
  c.force_body = force_body;
  c.timestep = timestep;
  c.substeps = substeps;
  return c;
}
#endif

// Destroying a running loop joins its thread, which may need the GIL (pylibfranka bridge):
// release it around the delete.
struct LoopDeleter {
  void operator()(ControlLoop* p) const {
    py::gil_scoped_release release;
    delete p;
  }
};
using LoopHolder = std::unique_ptr<ControlLoop, LoopDeleter>;

}  // namespace

GRASPVLA_REGISTER_SUBMODULE(control, "1 kHz control loop: controllers, rate limiting, MuJoCo backend", m) {
  py::enum_<ControlMode>(m, "ControlMode")
      .value("JOINT_IMPEDANCE", ControlMode::JointImpedance)
      .value("CARTESIAN_IMPEDANCE", ControlMode::CartesianImpedance)
      .value("JOINT_POSITION", ControlMode::JointPosition);
  py::enum_<StopReason>(m, "StopReason")
      .value("NONE", StopReason::None)
      .value("REQUESTED", StopReason::Requested)
      .value("WATCHDOG", StopReason::Watchdog)
      .value("EXTERNAL_FORCE", StopReason::ExternalForce)
      .value("INVALID_STATE", StopReason::InvalidState)
      .value("STATE_LIMIT", StopReason::StateLimit)
      .value("BACKEND_ERROR", StopReason::BackendError)
      .value("CONTROLLER_ERROR", StopReason::ControllerError);
  py::enum_<GripperAction>(m, "GripperAction")
      .value("MOVE", GripperAction::Move)
      .value("GRASP", GripperAction::Grasp)
      .value("STOP", GripperAction::Stop);
  m.def("stop_reason_message", [](StopReason r) { return std::string(to_string(r)); });
  m.attr("MAX_CHUNK") = kMaxChunk;
  m.attr("RECORD_WIDTH") = kRecordWidth;
  py::dict flags;
  flags["NEW_TARGET"] = int(kFlagNewTarget);
  flags["TARGET_REJECTED"] = int(kFlagTargetRejected);
  flags["HOLDING"] = int(kFlagHolding);
  flags["RETREATING"] = int(kFlagRetreating);
  flags["STOPPED"] = int(kFlagStopped);
  flags["TORQUE_RATE_LIMITED"] = int(kFlagTorqueRateLimited);
  flags["RATE_LIMITED"] = int(kFlagRateLimited);
  flags["REPLANNED"] = int(kFlagReplanned);
  flags["OTG_FALLBACK"] = int(kFlagOtgFallback);
  flags["GRIPPER_BUSY"] = int(kFlagGripperBusy);
  flags["GRIPPER_GRASPED"] = int(kFlagGripperGrasped);
  m.attr("FLAGS") = flags;
#ifdef GRASPVLA_HAS_MUJOCO
  m.attr("HAS_MUJOCO") = true;
#else
  m.attr("HAS_MUJOCO") = false;
#endif
#ifdef GRASPVLA_WITH_FRANKA
  m.attr("HAS_LIBFRANKA") = true;
#else
  m.attr("HAS_LIBFRANKA") = false;
#endif

  py::class_<ControllerConfig>(m, "ControllerConfig")
      .def(py::init<>())
      .def_readwrite("mode", &ControllerConfig::mode)
      .def_readwrite("dt", &ControllerConfig::dt)
      .def_readwrite("joint_stiffness", &ControllerConfig::joint_stiffness)
      .def_readwrite("joint_damping", &ControllerConfig::joint_damping)
      .def_readwrite("translational_stiffness", &ControllerConfig::translational_stiffness)
      .def_readwrite("translational_damping", &ControllerConfig::translational_damping)
      .def_readwrite("rotational_stiffness", &ControllerConfig::rotational_stiffness)
      .def_readwrite("rotational_damping", &ControllerConfig::rotational_damping)
      .def_readwrite("nullspace_stiffness", &ControllerConfig::nullspace_stiffness)
      .def_readwrite("translational_error_clip", &ControllerConfig::translational_error_clip)
      .def_readwrite("rotational_error_clip", &ControllerConfig::rotational_error_clip)
      .def_readwrite("coriolis_feedforward", &ControllerConfig::coriolis_feedforward)
      .def_readwrite("velocity_scale", &ControllerConfig::velocity_scale)
      .def_readwrite("acceleration_scale", &ControllerConfig::acceleration_scale)
      .def_readwrite("jerk_scale", &ControllerConfig::jerk_scale)
      .def_readwrite("cartesian_velocity", &ControllerConfig::cartesian_velocity)
      .def_readwrite("cartesian_acceleration", &ControllerConfig::cartesian_acceleration)
      .def_readwrite("cartesian_jerk", &ControllerConfig::cartesian_jerk)
      .def_readwrite("rotational_velocity", &ControllerConfig::rotational_velocity)
      .def_readwrite("rotational_acceleration", &ControllerConfig::rotational_acceleration)
      .def_readwrite("rotational_jerk", &ControllerConfig::rotational_jerk)
      .def_readwrite("latency_compensation", &ControllerConfig::latency_compensation)
      .def_readwrite("cutoff_frequency", &ControllerConfig::cutoff_frequency)
      .def_readwrite("limit_rate", &ControllerConfig::limit_rate)
      .def_readwrite("rate_limit_scale", &ControllerConfig::rate_limit_scale)
      .def_readwrite("joint_limit_margin", &ControllerConfig::joint_limit_margin)
      .def_readwrite("workspace_min", &ControllerConfig::workspace_min)
      .def_readwrite("workspace_max", &ControllerConfig::workspace_max)
      .def_readwrite("watchdog_hold", &ControllerConfig::watchdog_hold)
      .def_readwrite("watchdog_stop", &ControllerConfig::watchdog_stop)
      .def_readwrite("force_threshold", &ControllerConfig::force_threshold)
      .def_readwrite("force_debounce", &ControllerConfig::force_debounce)
      .def_readwrite("retreat_distance", &ControllerConfig::retreat_distance)
      .def_readwrite("gripper_max_width", &ControllerConfig::gripper_max_width)
      .def_readwrite("gripper_max_speed", &ControllerConfig::gripper_max_speed)
      .def_readwrite("gripper_max_force", &ControllerConfig::gripper_max_force);

  py::class_<LoopConfig>(m, "LoopConfig")
      .def(py::init<>())
      .def_readwrite("period", &LoopConfig::period)
      .def_readwrite("lockstep", &LoopConfig::lockstep)
      .def_readwrite("rt_priority", &LoopConfig::rt_priority)
      .def_readwrite("lock_memory", &LoopConfig::lock_memory)
      .def_readwrite("record_capacity", &LoopConfig::record_capacity);

  // ---- the pure controller (used by the pylibfranka bridge and for unit tests) --------------
  py::class_<Controller>(m, "Controller")
      .def(py::init([](const std::string& robot, const ControllerConfig& cfg, double finger_extension) {
             return std::make_unique<Controller>(model_by_name(robot, finger_extension), cfg);
           }), py::arg("robot"), py::arg("config"), py::arg("finger_extension") = 0.0)
      .def("reset", [](Controller& c, const py::object& q, double time) {
             auto a = checked_array<double>(q, "q", {7});
             RobotState s;
             s.q = Eigen::Map<const Vector7>(a.data());
             c.reset(s, time);
           }, py::arg("q"), py::arg("time") = 0.0)
      .def("set_target", [](Controller& c, const py::object& points, int kind, double dt, double stamp,
                            std::uint64_t seq, double time) {
             const Target t = make_target(points, kind, dt, stamp, seq);
             return static_cast<int>(c.set_target(t, time));
           }, py::arg("points"), py::arg("kind"), py::arg("dt"), py::arg("stamp"), py::arg("seq"), py::arg("time"))
      .def("step", [](Controller& c, const py::object& q, const py::object& dq, const py::object& tau_ext,
                      const py::object& coriolis, double time, py::array_t<double> out) {
             // out: (7,) command (torque without gravity, or joint positions). Returns
             // (status, stop_reason, flags, f_ext).
             auto qa = checked_array<double>(q, "q", {7}, false);
             auto dqa = checked_array<double>(dq, "dq", {7}, false);
             auto ta = checked_array<double>(tau_ext, "tau_ext", {7}, false);
             auto ca = checked_array<double>(coriolis, "coriolis", {7}, false);
             if (out.ndim() != 1 || out.shape(0) != 7 || !(out.flags() & py::array::c_style) || !out.writeable()) {
               throw graspvla::InvalidArgument("out: expected a writable contiguous float64 array of shape (7,)");
             }
             Input in;
             in.state.q = Eigen::Map<const Vector7>(qa.data());
             in.state.dq = Eigen::Map<const Vector7>(dqa.data());
             in.state.tau_ext = Eigen::Map<const Vector7>(ta.data());
             in.state.coriolis = Eigen::Map<const Vector7>(ca.data());
             in.time = time;
             Output o;
             Status st;
             double* dst = out.mutable_data();
             {
               py::gil_scoped_release release;
               st = c.update(in, o);
               const Vector7& v = o.command.mode == ControlMode::JointPosition ? o.command.q : o.command.tau;
               for (int i = 0; i < 7; ++i) dst[i] = v[i];
             }
             return py::make_tuple(static_cast<int>(st), o.stop_reason, o.flags, o.f_ext);
           }, py::arg("q"), py::arg("dq"), py::arg("tau_ext"), py::arg("coriolis"), py::arg("time"), py::arg("out"))
      .def("request_stop", &Controller::request_stop)
      .def_property_readonly("stop_reason", &Controller::stop_reason)
      .def_property_readonly("rejected_targets", &Controller::rejected_targets);

  // ---- filters (exposed for tests against a reference implementation) ----------------------
  m.def("lowpass_alpha", &lowpass_alpha, py::arg("dt"), py::arg("cutoff_hz"));
  m.def("limit_rate_position", [](const std::string& robot, const Vector7& q, const Vector7& last_q,
                                  const Vector7& last_dq, const Vector7& last_ddq, double dt) {
          return Vector7(limit_rate_position(model_by_name(robot, 0.0), q, last_q, last_dq, last_ddq, dt));
        }, py::arg("robot"), py::arg("q_cmd"), py::arg("last_q"), py::arg("last_dq"), py::arg("last_ddq"), py::arg("dt"));
  m.def("limit_rate_torque", [](const std::string& robot, const Vector7& tau, const Vector7& last, double dt) {
          return Vector7(limit_rate_torque(model_by_name(robot, 0.0), tau, last, dt));
        }, py::arg("robot"), py::arg("tau"), py::arg("last_tau"), py::arg("dt"));
  m.def("velocity_bounds", [](const std::string& robot, const Vector7& q) {
          Vector7 lo, up;
          velocity_bounds(model_by_name(robot, 0.0), q, lo, up);
          return py::make_tuple(lo, up);
        }, py::arg("robot"), py::arg("q"));

  py::class_<RobotIO, std::shared_ptr<RobotIO>>(m, "RobotIO")
      .def_property_readonly("name", &RobotIO::name)
      .def_property_readonly("has_gripper", &RobotIO::has_gripper);

#ifdef GRASPVLA_HAS_MUJOCO
  py::class_<SimIO, RobotIO, std::shared_ptr<SimIO>>(m, "SimIO")
      .def(py::init([](const std::string& model, const std::string& asset_dir, const std::vector<std::string>& joints,
                       const std::string& force_body, double timestep, int substeps, const std::string& keyframe,
                       const py::object& q0, const std::string& gripper_actuator,
                       const std::vector<std::string>& finger_joints) {
             SimConfig c = sim_config(joints, force_body, timestep, substeps, gripper_actuator, finger_joints);
             c.model = model;
             c.asset_dir = asset_dir;
             c.keyframe = keyframe;
             if (!q0.is_none()) {
               auto a = checked_array<double>(q0, "q0", {7});
               c.q0 = Eigen::Map<const Vector7>(a.data());
               c.has_q0 = true;
             }
             return std::make_shared<SimIO>(c);
           }),
           py::arg("model"), py::arg("asset_dir") = "", py::arg("joint_names") = std::vector<std::string>{},
           py::arg("force_body") = "hand", py::arg("timestep") = 0.001, py::arg("substeps") = 1,
           py::arg("keyframe") = "home", py::arg("q0") = py::none(), py::arg("gripper_actuator") = "gripper",
           py::arg("finger_joints") = std::vector<std::string>{"finger_joint1", "finger_joint2"})
      .def_static("attach", [](std::uintptr_t model_address, std::uintptr_t data_address,
                               const std::vector<std::string>& joints, const std::string& force_body, double timestep,
                               int substeps, const std::string& gripper_actuator,
                               const std::vector<std::string>& finger_joints) {
             // addresses of a mujoco.MjModel / MjData (their `_address`), same libmujoco as ours
             SimConfig c = sim_config(joints, force_body, timestep, substeps, gripper_actuator, finger_joints);
             return std::make_shared<SimIO>(reinterpret_cast<mjModel_*>(model_address),
                                            reinterpret_cast<mjData_*>(data_address), c);
           },
           py::arg("model_address"), py::arg("data_address"), py::arg("joint_names") = std::vector<std::string>{},
           py::arg("force_body") = "hand", py::arg("timestep") = 0.001, py::arg("substeps") = 1,
           py::arg("gripper_actuator") = "gripper",
           py::arg("finger_joints") = std::vector<std::string>{"finger_joint1", "finger_joint2"})
      .def_static("mujoco_version", &SimIO::mujoco_version)
      .def("set_external_force", &SimIO::set_external_force, py::arg("fx"), py::arg("fy"), py::arg("fz"))
      .def("qpos", [](const SimIO& s) {
        py::array_t<double> a(s.nq());
        s.qpos(a.mutable_data());
        return a;
      })
      .def_property_readonly("time", &SimIO::sim_time);
#endif

  py::class_<PyFrankaIO, RobotIO, std::shared_ptr<PyFrankaIO>>(m, "PyFrankaIO")
      .def(py::init([](py::object robot, const std::string& name, double finger_extension, py::object gripper_sink) {
             return std::make_shared<PyFrankaIO>(std::move(robot), model_by_name(name, finger_extension),
                                                 std::move(gripper_sink));
           }), py::arg("robot"), py::arg("robot_type") = "fr3", py::arg("finger_extension") = 0.0,
           py::arg("gripper_sink") = py::none())
      .def("set_gripper_state", &PyFrankaIO::set_gripper_state, py::arg("width"), py::arg("busy"),
           py::arg("grasped"), py::arg("seq"))
      .def_property_readonly("error", &PyFrankaIO::error);

#ifdef GRASPVLA_WITH_FRANKA
  py::class_<LibfrankaIO, RobotIO, std::shared_ptr<LibfrankaIO>>(m, "LibfrankaIO")
      .def(py::init<std::string, bool>(), py::arg("hostname"), py::arg("enforce_realtime") = false)
      .def_property_readonly("error", &LibfrankaIO::error);
#endif

  py::class_<ControlLoop, LoopHolder>(m, "ControlLoop")
      .def(py::init([](std::shared_ptr<RobotIO> io, const std::string& robot, const ControllerConfig& c,
                       const LoopConfig& l, double finger_extension) {
             return LoopHolder(new ControlLoop(std::move(io), model_by_name(robot, finger_extension), c, l));
           }), py::arg("io"), py::arg("robot"), py::arg("controller"), py::arg("loop"), py::arg("finger_extension") = 0.0)
      .def("start", &ControlLoop::start, py::call_guard<py::gil_scoped_release>())
      .def("stop", &ControlLoop::stop, py::call_guard<py::gil_scoped_release>())
      .def("step", &ControlLoop::step, py::arg("n"), py::call_guard<py::gil_scoped_release>())
      .def("push_target", [](ControlLoop& l, const py::object& points, int kind, double dt, double stamp,
                             std::uint64_t seq) {
             const Target t = make_target(points, kind, dt, stamp, seq);
             py::gil_scoped_release release;
             return static_cast<int>(l.push_target(t));
           }, py::arg("points"), py::arg("kind"), py::arg("dt"), py::arg("stamp"), py::arg("seq"))
      .def("push_gripper", [](ControlLoop& l, GripperAction action, double width, double speed, double force,
                              double epsilon_inner, double epsilon_outer, std::uint64_t seq) {
             GripperCommand c;
             c.action = action;
             c.width = width;
             c.speed = speed;
             c.force = force;
             c.epsilon_inner = epsilon_inner;
             c.epsilon_outer = epsilon_outer;
             c.seq = seq;
             py::gil_scoped_release release;  // a Python gripper sink re-acquires it on this thread
             return static_cast<int>(l.push_gripper(c));
           }, py::arg("action"), py::arg("width"), py::arg("speed"), py::arg("force"), py::arg("epsilon_inner"),
           py::arg("epsilon_outer"), py::arg("seq"))
      .def("snapshot", [](ControlLoop& l) -> py::object {
        Snapshot s;
        bool ok;
        {
          py::gil_scoped_release release;
          ok = l.snapshot(s);
        }
        if (!ok) return py::none();
        return snapshot_dict(s);
      })
      .def("read_records", [](ControlLoop& l, std::size_t max) {
        py::array_t<double> a({static_cast<py::ssize_t>(max), static_cast<py::ssize_t>(kRecordWidth)});
        std::size_t n;
        {
          py::gil_scoped_release release;
          n = l.read_records(reinterpret_cast<Record*>(a.mutable_data()), max);
        }
        return py::array_t<double>(a[py::slice(0, static_cast<py::ssize_t>(n), 1)]);
      }, py::arg("max") = 1 << 16)
      .def("now", &ControlLoop::now)
      .def("halt", &ControlLoop::halt)
      .def("resume", &ControlLoop::resume)
      .def_property_readonly("running", &ControlLoop::running)
      .def("stats", [](const ControlLoop& l) {
        const LoopStats s = l.stats();
        py::dict d;
        d["ticks"] = s.ticks;
        d["missed_deadlines"] = s.missed_deadlines;
        d["max_lateness_us"] = s.max_lateness_us;
        d["targets_received"] = s.targets_received;
        d["targets_rejected"] = s.targets_rejected;
        d["records_dropped"] = s.records_dropped;
        d["gripper_commands"] = s.gripper_commands;
        d["gripper_rejected"] = s.gripper_rejected;
        d["stop_reason"] = s.stop_reason;
        d["stop_message"] = std::string(to_string(s.stop_reason));
        d["realtime"] = s.realtime;
        d["memory_locked"] = s.memory_locked;
        d["running"] = s.running;
        d["rt_message"] = s.rt_message;
        d["backend_error"] = s.backend_error;
        return d;
      });
}
