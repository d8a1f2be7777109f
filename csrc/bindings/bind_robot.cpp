// graspvla._core.robot: Franka kinematics. Thin: validate with the GIL, compute without it.
#include <pybind11/eigen.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <atomic>

#include "common.hpp"
#include "graspvla/core/parallel.hpp"
#include "graspvla/robot/collision_spheres.hpp"
#include "graspvla/robot/dynamics.hpp"
#include "graspvla/robot/ik.hpp"
#include "graspvla/robot/ik_analytic.hpp"
#include "graspvla/robot/robot_model.hpp"
#include "registry.hpp"

namespace py = pybind11;
using namespace graspvla::robot;
using graspvla::bindings::checked_array;
using graspvla::bindings::output_array;

namespace {

Vector7 to_q(const py::array_t<double>& a, py::ssize_t row = 0) {
  return Eigen::Map<const Vector7>(a.data() + row * kDof);
}

void store_transform(const Transform& T, double* out) {
  Eigen::Map<Eigen::Matrix<double, 4, 4, Eigen::RowMajor>> dst(out);
  dst = T.matrix();
}

Transform to_transform(const double* p) {
  Transform T;
  T.matrix() = Eigen::Map<const Eigen::Matrix<double, 4, 4, Eigen::RowMajor>>(p);
  return T;
}

void check_pose(const double* p, const char* name) {
  const Eigen::Map<const Eigen::Matrix<double, 4, 4, Eigen::RowMajor>> M(p);
  const Eigen::Matrix3d R = M.topLeftCorner<3, 3>();
  if ((R.transpose() * R - Eigen::Matrix3d::Identity()).cwiseAbs().maxCoeff() > 1e-6 || R.determinant() < 0 ||
      M.row(3).cwiseAbs().sum() != 1.0 || M(3, 3) != 1.0) {
    throw graspvla::InvalidArgument(std::string(name) + ": not a rigid transform (rotation must be orthonormal, "
                                    "last row [0, 0, 0, 1])");
  }
}

Vector7 vec7(const py::object& obj, const char* name) {
  auto a = checked_array<double>(obj, name, {kDof});
  return Eigen::Map<const Vector7>(a.data());
}

/// Raises LimitViolation naming `name` (and the joint) when q lies outside the position limits.
void check_in_limits(const RobotModel& model, const Vector7& q, const std::string& name) {
  for (int j = 0; j < kDof; ++j) {
    if (q[j] < model.limits.q_min[j] || q[j] > model.limits.q_max[j]) {
      throw graspvla::LimitViolation(name + ": joint " + std::to_string(j + 1) + " = " + std::to_string(q[j]) +
                                     " rad is outside [" + std::to_string(model.limits.q_min[j]) + ", " +
                                     std::to_string(model.limits.q_max[j]) + "] of the " + model.name() +
                                     " (clip to the limits first)");
    }
  }
}

void check_q7(const RobotModel& model, double q7, const std::string& name) {
  if (!std::isfinite(q7)) throw graspvla::InvalidArgument(name + ": must be finite");
  if (q7 < model.limits.q_min[6] || q7 > model.limits.q_max[6]) {
    throw graspvla::LimitViolation(name + ": q7 = " + std::to_string(q7) + " rad is outside [" +
                                   std::to_string(model.limits.q_min[6]) + ", " +
                                   std::to_string(model.limits.q_max[6]) + "] of the " + model.name());
  }
}

IkOptions make_ik_options(const RobotModel& model, int frame, int max_iterations, int restarts, double tol_position, double tol_orientation,
                          double damping, double posture_gain, const py::object& q_rest, std::uint64_t seed);

Frame checked_frame(int f) {
  if (f < 0 || f >= kNumFrames) {
    throw graspvla::InvalidArgument("frame: expected 0.." + std::to_string(kNumFrames - 1) + ", got " + std::to_string(f));
  }
  return static_cast<Frame>(f);
}

}  // namespace

GRASPVLA_REGISTER_SUBMODULE(robot, "Franka Panda / FR3 kinematics (base frame, metres, radians)", m) {
  py::enum_<Frame>(m, "Frame")
      .value("LINK1", Link1).value("LINK2", Link2).value("LINK3", Link3).value("LINK4", Link4)
      .value("LINK5", Link5).value("LINK6", Link6).value("LINK7", Link7)
      .value("FLANGE", Flange).value("HAND", Hand).value("TCP", Tcp);
  py::implicitly_convertible<int, Frame>();  // single-pose calls take Frame (fast path) or an int
  m.attr("NUM_FRAMES") = static_cast<int>(kNumFrames);
  m.attr("DOF") = kDof;

  py::enum_<RobotType>(m, "RobotType").value("PANDA", RobotType::Panda).value("FR3", RobotType::FR3);

  py::class_<RobotModel>(m, "RobotModel")
      .def_static("panda", &RobotModel::panda, py::arg("finger_extension") = 0.0)
      .def_static("fr3", &RobotModel::fr3, py::arg("finger_extension") = 0.0)
      .def_property_readonly("name", &RobotModel::name)
      .def_readonly("type", &RobotModel::type)
      .def_readonly("flange_offset", &RobotModel::flange_offset)
      .def_readonly("hand_yaw", &RobotModel::hand_yaw)
      .def_readonly("tcp_offset", &RobotModel::tcp_offset)
      .def_readonly("finger_extension", &RobotModel::finger_extension)
      .def_readonly("gripper_max_width", &RobotModel::gripper_max_width)
      .def_property_readonly("q_min", [](const RobotModel& r) { return Vector7(r.limits.q_min); })
      .def_property_readonly("q_max", [](const RobotModel& r) { return Vector7(r.limits.q_max); })
      .def_property_readonly("dq_max", [](const RobotModel& r) { return Vector7(r.limits.dq_max); })
      .def_property_readonly("ddq_max", [](const RobotModel& r) { return Vector7(r.limits.ddq_max); })
      .def_property_readonly("dddq_max", [](const RobotModel& r) { return Vector7(r.limits.dddq_max); })
      .def_property_readonly("tau_max", [](const RobotModel& r) { return Vector7(r.limits.tau_max); })
      .def_property_readonly("dtau_max", [](const RobotModel& r) { return Vector7(r.limits.dtau_max); })
      .def("__repr__", [](const RobotModel& r) { return "<RobotModel " + r.name() + ">"; });

  m.def(
      "forward_kinematics",
      [](const RobotModel& model, const py::object& q_obj, const py::object& out) {
        auto q = checked_array<double>(q_obj, "q", {kDof});
        auto res = output_array<double>(out, "out", {kNumFrames, 4, 4});
        Vector7 qv = to_q(q);
        double* dst = res.mutable_data();
        {
          py::gil_scoped_release release;
          Workspace ws;
          forward_kinematics(model, qv, ws);
          for (int f = 0; f < kNumFrames; ++f) store_transform(ws.frames[f], dst + 16 * f);
        }
        return res;
      },
      py::arg("model"), py::arg("q"), py::arg("out") = py::none(),
      "Poses of all frames (NUM_FRAMES, 4, 4) in the base frame for joint angles q (7,) [rad].");

  m.def(
      "forward_kinematics_batch",
      [](const RobotModel& model, const py::object& q_obj, int frame, const py::object& out, std::size_t threads) {
        auto q = checked_array<double>(q_obj, "q", {-1, kDof});
        const py::ssize_t n = q.shape(0);
        const bool all = frame < 0;
        Frame f = all ? Tcp : checked_frame(frame);
        auto res = all ? output_array<double>(out, "out", {n, kNumFrames, 4, 4}) : output_array<double>(out, "out", {n, 4, 4});
        const double* src = q.data();
        double* dst = res.mutable_data();
        {
          py::gil_scoped_release release;
          graspvla::parallel_for(static_cast<std::size_t>(n), [&](std::size_t b, std::size_t e) {
            Workspace ws;
            for (std::size_t i = b; i < e; ++i) {
              forward_kinematics(model, Eigen::Map<const Vector7>(src + i * kDof), ws);
              if (all) {
                for (int k = 0; k < kNumFrames; ++k) store_transform(ws.frames[k], dst + (i * kNumFrames + k) * 16);
              } else {
                store_transform(ws.frames[f], dst + i * 16);
              }
            }
          }, threads, 256);
        }
        return res;
      },
      py::arg("model"), py::arg("q"), py::arg("frame") = -1, py::arg("out") = py::none(), py::arg("threads") = 0,
      "Batched FK for q (N, 7): (N, NUM_FRAMES, 4, 4) when frame < 0, else (N, 4, 4) for that frame.");

  m.def(
      "frame_pose",
      [](const RobotModel& model, const py::object& q_obj, Frame frame, const py::object& out) {
        auto q = checked_array<double>(q_obj, "q", {kDof});
        Frame f = checked_frame(static_cast<int>(frame));
        auto res = output_array<double>(out, "out", {4, 4});
        Vector7 qv = to_q(q);
        double* dst = res.mutable_data();
        {
          py::gil_scoped_release release;
          Workspace ws;
          forward_kinematics(model, qv, ws);
          store_transform(ws.frames[f], dst);
        }
        return res;
      },
      py::arg("model"), py::arg("q"), py::arg("frame") = Tcp, py::arg("out") = py::none(),
      "Pose (4, 4) of one frame in the base frame for joint angles q (7,) [rad].");

  m.def(
      "jacobian",
      [](const RobotModel& model, const py::object& q_obj, Frame frame, const py::object& out) {
        auto q = checked_array<double>(q_obj, "q", {kDof});
        Frame f = checked_frame(static_cast<int>(frame));
        auto res = output_array<double>(out, "out", {6, kDof});
        Vector7 qv = to_q(q);
        double* dst = res.mutable_data();
        {
          py::gil_scoped_release release;
          Workspace ws;
          forward_kinematics(model, qv, ws);
          Jacobian J;
          frame_jacobian(model, ws, f, J);
          Eigen::Map<Eigen::Matrix<double, 6, kDof, Eigen::RowMajor>> Jout(dst);
          Jout = J;
        }
        return res;
      },
      py::arg("model"), py::arg("q"), py::arg("frame") = Tcp, py::arg("out") = py::none(),
      "Geometric Jacobian (6, 7) of a frame's origin in the base frame: rows [v; w].");

  m.def(
      "jacobian_batch",
      [](const RobotModel& model, const py::object& q_obj, int frame, const py::object& out, std::size_t threads) {
        auto q = checked_array<double>(q_obj, "q", {-1, kDof});
        Frame f = checked_frame(frame);
        const py::ssize_t n = q.shape(0);
        auto res = output_array<double>(out, "out", {n, 6, kDof});
        const double* src = q.data();
        double* dst = res.mutable_data();
        {
          py::gil_scoped_release release;
          graspvla::parallel_for(static_cast<std::size_t>(n), [&](std::size_t b, std::size_t e) {
            Workspace ws;
            Jacobian J;
            for (std::size_t i = b; i < e; ++i) {
              forward_kinematics(model, Eigen::Map<const Vector7>(src + i * kDof), ws);
              frame_jacobian(model, ws, f, J);
              Eigen::Map<Eigen::Matrix<double, 6, kDof, Eigen::RowMajor>> Jout(dst + i * 6 * kDof);
              Jout = J;
            }
          }, threads, 256);
        }
        return res;
      },
      py::arg("model"), py::arg("q"), py::arg("frame") = static_cast<int>(Tcp), py::arg("out") = py::none(),
      py::arg("threads") = 0, "Batched Jacobians (N, 6, 7) for q (N, 7).");

  // ---- dynamics -------------------------------------------------------------------------
  m.def("set_link_inertia",
        [](RobotModel& model, int index, double mass, const py::object& com, const py::object& inertia) {
          auto c = checked_array<double>(com, "com", {3});
          auto I = checked_array<double>(inertia, "inertia", {3, 3});
          Eigen::Matrix3d Im = Eigen::Map<const Eigen::Matrix<double, 3, 3, Eigen::RowMajor>>(I.data());
          if (!set_link_inertia(model, index, mass, Eigen::Map<const Eigen::Vector3d>(c.data()), Im)) {
            throw graspvla::InvalidArgument("set_link_inertia: index must be 0..6, mass >= 0 and the inertia symmetric");
          }
        },
        py::arg("model"), py::arg("index"), py::arg("mass"), py::arg("com"), py::arg("inertia"),
        "Sets link (index 0 = link1) mass [kg], COM [m] and inertia about the COM [kg m^2] in the link frame.");
  m.def("add_load",
        [](RobotModel& model, double mass, const py::object& com, const py::object& inertia) {
          auto c = checked_array<double>(com, "com", {3});
          auto I = checked_array<double>(inertia, "inertia", {3, 3});
          Eigen::Matrix3d Im = Eigen::Map<const Eigen::Matrix<double, 3, 3, Eigen::RowMajor>>(I.data());
          if (!(mass >= 0.0) || !std::isfinite(mass)) throw graspvla::InvalidArgument("mass: must be finite and >= 0 kg");
          if (!add_load(model, mass, Eigen::Map<const Eigen::Vector3d>(c.data()), Im)) {
            throw graspvla::InvalidArgument("inertia: must be symmetric");
          }
        },
        py::arg("model"), py::arg("mass"), py::arg("com"), py::arg("inertia"),
        "Attaches a rigid load to the flange: mass [kg], COM [m] in the flange frame, inertia about the "
        "COM [kg m^2] in flange axes (lumped into link7).");
  m.def("franka_hand_load", [] {
          const LinkInertia L = franka_hand_load();
          return py::make_tuple(L.mass, Eigen::Vector3d(L.com), Eigen::Matrix3d(L.inertia));
        }, "The Franka Hand (fingers closed) as a flange load: (mass [kg], com (3,) [m], inertia (3, 3) [kg m^2]).");
  m.def("link_inertia", [](const RobotModel& model, int index) {
          if (index < 0 || index >= kDof) throw graspvla::InvalidArgument("index: expected 0..6");
          const LinkInertia& L = model.links[index];
          return py::make_tuple(L.mass, Eigen::Vector3d(L.com), Eigen::Matrix3d(L.inertia));
        }, py::arg("model"), py::arg("index"));
  m.def("gravity_torques", [](const RobotModel& model, const py::object& q) {
          Vector7 qv = vec7(q, "q");
          py::array_t<double> out(kDof);
          double* dst = out.mutable_data();
          {
            py::gil_scoped_release r;
            Vector7 tau;
            gravity_torques(model, qv, tau);
            Eigen::Map<Vector7> o(dst);
            o = tau;
          }
          return out;
        }, py::arg("model"), py::arg("q"), "Gravity torques g(q) (7,) [Nm].");
  m.def("coriolis_torques", [](const RobotModel& model, const py::object& q, const py::object& dq) {
          Vector7 qv = vec7(q, "q"), dqv = vec7(dq, "dq"), tau;
          { py::gil_scoped_release r; coriolis_torques(model, qv, dqv, tau); }
          return tau;
        }, py::arg("model"), py::arg("q"), py::arg("dq"), "Coriolis/centrifugal torques C(q, dq) dq (7,) [Nm].");
  m.def("inverse_dynamics", [](const RobotModel& model, const py::object& q, const py::object& dq, const py::object& ddq) {
          Vector7 qv = vec7(q, "q"), dqv = vec7(dq, "dq"), ddqv = vec7(ddq, "ddq");
          py::array_t<double> out(kDof);
          double* dst = out.mutable_data();
          {
            py::gil_scoped_release r;
            Vector7 tau;
            inverse_dynamics(model, qv, dqv, ddqv, tau);
            Eigen::Map<Vector7> o(dst);
            o = tau;
          }
          return out;
        }, py::arg("model"), py::arg("q"), py::arg("dq"), py::arg("ddq"),
        "RNEA: tau = M ddq + C dq + g (7,) [Nm].");
  m.def("mass_matrix", [](const RobotModel& model, const py::object& q) {
          Vector7 qv = vec7(q, "q");
          py::array_t<double> out({static_cast<py::ssize_t>(kDof), static_cast<py::ssize_t>(kDof)});
          double* dst = out.mutable_data();
          {
            py::gil_scoped_release r;
            MassMatrix M;
            mass_matrix(model, qv, M);
            Eigen::Map<MassMatrix> o(dst);
            o = M;  // symmetric: column- and row-major agree
          }
          return out;
        }, py::arg("model"), py::arg("q"), "Joint-space inertia matrix M(q) (7, 7) [kg m^2].");
  m.def("gravity_torques_batch", [](const RobotModel& model, const py::object& q_obj, std::size_t threads) {
          auto q = checked_array<double>(q_obj, "q", {-1, kDof});
          const py::ssize_t n = q.shape(0);
          py::array_t<double> out({n, static_cast<py::ssize_t>(kDof)});
          const double* src = q.data();
          double* dst = out.mutable_data();
          {
            py::gil_scoped_release r;
            graspvla::parallel_for(static_cast<std::size_t>(n), [&](std::size_t b, std::size_t e) {
              Vector7 tau;
              for (std::size_t i = b; i < e; ++i) {
                gravity_torques(model, Eigen::Map<const Vector7>(src + i * kDof), tau);
                Eigen::Map<Vector7>(dst + i * kDof) = tau;
              }
            }, threads, 256);
          }
          return out;
        }, py::arg("model"), py::arg("q"), py::arg("threads") = 0);

  // ---- inverse kinematics ---------------------------------------------------------------
  py::enum_<graspvla::Status>(m, "Status")
      .value("OK", graspvla::Status::Ok).value("INVALID_INPUT", graspvla::Status::InvalidInput)
      .value("NOT_CONVERGED", graspvla::Status::NotConverged).value("NO_SOLUTION", graspvla::Status::NoSolution);

  m.def(
      "ik",
      [](const RobotModel& model, const py::object& target, const py::object& q_seed, int frame, int max_iterations,
         int restarts, double tol_position, double tol_orientation, double damping, double posture_gain,
         const py::object& q_rest, std::uint64_t seed) {
        auto T = checked_array<double>(target, "target", {4, 4});
        check_pose(T.data(), "target");
        Vector7 seedv = vec7(q_seed, "q_seed");
        check_in_limits(model, seedv, "q_seed");
        IkOptions opt = make_ik_options(model, frame, max_iterations, restarts, tol_position, tol_orientation, damping,
                                        posture_gain, q_rest, seed);
        Transform Tt = to_transform(T.data());
        IkResult res;
        {
          py::gil_scoped_release r;
          Workspace ws;
          ik_dls(model, Tt, seedv, opt, ws, res);
        }
        return py::make_tuple(res.q, res.status, res.iterations, res.position_error, res.orientation_error);
      },
      py::arg("model"), py::arg("target"), py::arg("q_seed"), py::arg("frame") = static_cast<int>(Tcp),
      py::arg("max_iterations") = 150, py::arg("restarts") = 8, py::arg("tol_position") = 1e-6,
      py::arg("tol_orientation") = 1e-6, py::arg("damping") = 1e-3, py::arg("posture_gain") = 0.1,
      py::arg("q_rest") = py::none(), py::arg("seed") = 0,
      "DLS IK: (q, status, iterations, position_error [m], orientation_error [rad]).");

  m.def(
      "ik_analytic",
      [](const RobotModel& model, const py::object& target, double q7, int frame) {
        auto T = checked_array<double>(target, "target", {4, 4});
        check_pose(T.data(), "target");
        check_q7(model, q7, "q7");
        Frame f = checked_frame(frame);
        if (f != Flange && f != Hand && f != Tcp) throw graspvla::InvalidArgument("frame: must be FLANGE, HAND or TCP");
        AnalyticSolutions sols;
        int n;
        {
          py::gil_scoped_release r;
          n = ik_analytic(model, to_transform(T.data()), q7, f, sols);
        }
        py::array_t<double> out({static_cast<py::ssize_t>(std::max(n, 0)), static_cast<py::ssize_t>(kDof)});
        for (int i = 0; i < n; ++i)
          for (int j = 0; j < kDof; ++j) out.mutable_data()[i * kDof + j] = sols[i][j];
        return out;
      },
      py::arg("model"), py::arg("target"), py::arg("q7"), py::arg("frame") = static_cast<int>(Tcp),
      "Closed-form IK with joint 7 fixed at q7: all in-limit solutions (K, 7), K <= 8 (0 if unreachable).");

  m.def(
      "ik_batch",
      [](const RobotModel& model, const py::object& targets, const py::object& q_seeds, int frame, int max_iterations,
         int restarts, double tol_position, double tol_orientation, double damping, double posture_gain,
         const py::object& q_rest, std::uint64_t seed, std::size_t threads) {
        auto T = checked_array<double>(targets, "targets", {-1, 4, 4});
        const py::ssize_t n = T.shape(0);
        auto S = checked_array<double>(q_seeds, "q_seeds", {n, kDof});
        for (py::ssize_t i = 0; i < n; ++i) check_pose(T.data() + 16 * i, "targets");
        for (py::ssize_t i = 0; i < n; ++i)
          check_in_limits(model, Eigen::Map<const Vector7>(S.data() + kDof * i), "q_seeds[" + std::to_string(i) + "]");
        IkOptions opt = make_ik_options(model, frame, max_iterations, restarts, tol_position, tol_orientation, damping,
                                        posture_gain, q_rest, seed);
        py::array_t<double> q_out({n, static_cast<py::ssize_t>(kDof)});
        py::array_t<bool> ok_out(n);
        py::array_t<double> err_out({n, static_cast<py::ssize_t>(2)});
        const double* tp = T.data();
        const double* sp = S.data();
        double* qo = q_out.mutable_data();
        bool* oko = ok_out.mutable_data();
        double* eo = err_out.mutable_data();
        {
          py::gil_scoped_release r;
          // IK cost varies ~10x between poses (restarts): workers pull small blocks from a shared
          // counter instead of taking one fixed range each. Results do not depend on the schedule.
          const std::size_t total = static_cast<std::size_t>(n), block = 8;
          const std::size_t workers = std::min(graspvla::resolve_num_threads(threads), (total + block - 1) / block);
          std::atomic<std::size_t> next{0};
          graspvla::parallel_for(workers, [&](std::size_t, std::size_t) {
            Workspace ws;
            IkResult res;
            for (std::size_t b = next.fetch_add(block); b < total; b = next.fetch_add(block)) {
              for (std::size_t i = b; i < std::min(total, b + block); ++i) {
                IkOptions o = opt;
                o.seed = opt.seed + i;  // per-item seed: independent of the schedule
                ik_dls(model, to_transform(tp + 16 * i), Eigen::Map<const Vector7>(sp + kDof * i), o, ws, res);
                Eigen::Map<Vector7>(qo + kDof * i) = res.q;
                oko[i] = res.success();
                eo[2 * i] = res.position_error;
                eo[2 * i + 1] = res.orientation_error;
              }
            }
          }, workers, 1);
        }
        return py::make_tuple(q_out, ok_out, err_out);
      },
      py::arg("model"), py::arg("targets"), py::arg("q_seeds"), py::arg("frame") = static_cast<int>(Tcp),
      py::arg("max_iterations") = 150, py::arg("restarts") = 8, py::arg("tol_position") = 1e-6,
      py::arg("tol_orientation") = 1e-6, py::arg("damping") = 1e-3, py::arg("posture_gain") = 0.1,
      py::arg("q_rest") = py::none(), py::arg("seed") = 0, py::arg("threads") = 0,
      "Batched DLS IK for N poses (N, 4, 4) from seeds (N, 7): (q (N, 7), success (N,), errors (N, 2)).");

  m.def(
      "ik_analytic_batch",
      [](const RobotModel& model, const py::object& targets, const py::object& q7s, int frame, std::size_t threads) {
        auto T = checked_array<double>(targets, "targets", {-1, 4, 4});
        const py::ssize_t n = T.shape(0);
        auto Q7 = checked_array<double>(q7s, "q7", {n});
        Frame f = checked_frame(frame);
        if (f != Flange && f != Hand && f != Tcp) throw graspvla::InvalidArgument("frame: must be FLANGE, HAND or TCP");
        for (py::ssize_t i = 0; i < n; ++i) {
          check_pose(T.data() + 16 * i, "targets");
          check_q7(model, Q7.data()[i], "q7[" + std::to_string(i) + "]");
        }
        py::array_t<double> sols_out({n, static_cast<py::ssize_t>(kMaxAnalyticSolutions), static_cast<py::ssize_t>(kDof)});
        py::array_t<int> count_out(n);
        const double* tp = T.data();
        const double* qp = Q7.data();
        double* so = sols_out.mutable_data();
        int* co = count_out.mutable_data();
        {
          py::gil_scoped_release r;
          graspvla::parallel_for(static_cast<std::size_t>(n), [&](std::size_t b, std::size_t e) {
            AnalyticSolutions sols;
            for (std::size_t i = b; i < e; ++i) {
              const int k = std::max(0, ik_analytic(model, to_transform(tp + 16 * i), qp[i], f, sols));
              co[i] = k;
              double* dst = so + i * kMaxAnalyticSolutions * kDof;
              for (int s = 0; s < kMaxAnalyticSolutions; ++s)
                for (int j = 0; j < kDof; ++j) dst[s * kDof + j] = s < k ? sols[s][j] : std::nan("");
            }
          }, threads, 64);
        }
        return py::make_tuple(sols_out, count_out);
      },
      py::arg("model"), py::arg("targets"), py::arg("q7"), py::arg("frame") = static_cast<int>(Tcp),
      py::arg("threads") = 0,
      "Batched closed-form IK: targets (N, 4, 4), q7 (N,) -> (solutions (N, 8, 7) NaN-padded, counts (N,)).");

  m.def("mass_matrix_batch", [](const RobotModel& model, const py::object& q_obj, std::size_t threads) {
          auto q = checked_array<double>(q_obj, "q", {-1, kDof});
          const py::ssize_t n = q.shape(0);
          py::array_t<double> out({n, static_cast<py::ssize_t>(kDof), static_cast<py::ssize_t>(kDof)});
          const double* src = q.data();
          double* dst = out.mutable_data();
          {
            py::gil_scoped_release r;
            graspvla::parallel_for(static_cast<std::size_t>(n), [&](std::size_t b, std::size_t e) {
              MassMatrix M;
              for (std::size_t i = b; i < e; ++i) {
                mass_matrix(model, Eigen::Map<const Vector7>(src + i * kDof), M);
                Eigen::Map<Eigen::Matrix<double, kDof, kDof, Eigen::RowMajor>>(dst + i * kDof * kDof) = M;
              }
            }, threads, 256);
          }
          return out;
        }, py::arg("model"), py::arg("q"), py::arg("threads") = 0, "Batched mass matrices (N, 7, 7) [kg m^2].");

  m.def("inverse_dynamics_batch",
        [](const RobotModel& model, const py::object& q_obj, const py::object& dq_obj, const py::object& ddq_obj,
           std::size_t threads) {
          auto q = checked_array<double>(q_obj, "q", {-1, kDof});
          const py::ssize_t n = q.shape(0);
          auto dq = checked_array<double>(dq_obj, "dq", {n, kDof});
          auto ddq = checked_array<double>(ddq_obj, "ddq", {n, kDof});
          py::array_t<double> out({n, static_cast<py::ssize_t>(kDof)});
          const double *qs = q.data(), *dqs = dq.data(), *ddqs = ddq.data();
          double* dst = out.mutable_data();
          {
            py::gil_scoped_release r;
            graspvla::parallel_for(static_cast<std::size_t>(n), [&](std::size_t b, std::size_t e) {
              Vector7 tau;
              for (std::size_t i = b; i < e; ++i) {
                inverse_dynamics(model, Eigen::Map<const Vector7>(qs + i * kDof), Eigen::Map<const Vector7>(dqs + i * kDof),
                                 Eigen::Map<const Vector7>(ddqs + i * kDof), tau);
                Eigen::Map<Vector7>(dst + i * kDof) = tau;
              }
            }, threads, 256);
          }
          return out;
        }, py::arg("model"), py::arg("q"), py::arg("dq"), py::arg("ddq"), py::arg("threads") = 0,
        "Batched RNEA (N, 7) [Nm] for q, dq, ddq (N, 7).");

  // ---- collision spheres ----------------------------------------------------------------
  m.attr("NUM_SPHERES") = kNumSpheres;
  m.attr("NUM_BODIES") = static_cast<int>(kNumBodies);
  m.def("sphere_bodies", [] {
          py::array_t<int> out(kNumSpheres);
          Workspace ws;
          forward_kinematics(RobotModel::fr3(), Vector7::Zero(), ws);
          SphereSet s;
          collision_spheres(RobotModel::fr3(), ws, 0.08, s);
          for (int i = 0; i < kNumSpheres; ++i) out.mutable_data()[i] = s[i].body;
          return out;
        }, "Body index of each sphere: link1..7 = 0..6, hand = 7, left finger = 8, right finger = 9.");
  m.def("self_collision_pairs", [] {
          py::array_t<bool> out({static_cast<py::ssize_t>(kNumBodies), static_cast<py::ssize_t>(kNumBodies)});
          for (int a = 0; a < kNumBodies; ++a)
            for (int b = 0; b < kNumBodies; ++b) out.mutable_data()[a * kNumBodies + b] = self_collision_pair_enabled(a, b);
          return out;
        }, "(NUM_BODIES, NUM_BODIES) matrix of body pairs checked for self-collision.");
  m.def("collision_spheres_batch",
        [](const RobotModel& model, const py::object& q_obj, double width, std::size_t threads) {
          auto q = checked_array<double>(q_obj, "q", {-1, kDof});
          if (!(width >= 0.0 && width <= model.gripper_max_width)) {
            throw graspvla::InvalidArgument("width: gripper opening must lie in [0, gripper_max_width] m");
          }
          const py::ssize_t n = q.shape(0);
          py::array_t<double> out({n, static_cast<py::ssize_t>(kNumSpheres), static_cast<py::ssize_t>(4)});
          const double* src = q.data();
          double* dst = out.mutable_data();
          {
            py::gil_scoped_release r;
            graspvla::parallel_for(static_cast<std::size_t>(n), [&](std::size_t b, std::size_t e) {
              Workspace ws;
              SphereSet s;
              for (std::size_t i = b; i < e; ++i) {
                forward_kinematics(model, Eigen::Map<const Vector7>(src + i * kDof), ws);
                collision_spheres(model, ws, width, s);
                for (int k = 0; k < kNumSpheres; ++k) {
                  double* o = dst + (i * kNumSpheres + k) * 4;
                  o[0] = s[k].c.x(); o[1] = s[k].c.y(); o[2] = s[k].c.z(); o[3] = s[k].r;
                }
              }
            }, threads, 128);
          }
          return out;
        },
        py::arg("model"), py::arg("q"), py::arg("width") = 0.08, py::arg("threads") = 0,
        "Sphere centres and radii (N, NUM_SPHERES, 4) [x, y, z, r] in the base frame [m].");
  m.def("self_collision_batch",
        [](const RobotModel& model, const py::object& q_obj, double width, double margin, std::size_t threads) {
          auto q = checked_array<double>(q_obj, "q", {-1, kDof});
          if (!(width >= 0.0 && width <= model.gripper_max_width)) {
            throw graspvla::InvalidArgument("width: gripper opening must lie in [0, gripper_max_width] m");
          }
          const py::ssize_t n = q.shape(0);
          py::array_t<bool> hit(n);
          py::array_t<double> dist(n);
          const double* src = q.data();
          bool* h = hit.mutable_data();
          double* d = dist.mutable_data();
          {
            py::gil_scoped_release r;
            graspvla::parallel_for(static_cast<std::size_t>(n), [&](std::size_t b, std::size_t e) {
              Workspace ws;
              SphereSet s;
              for (std::size_t i = b; i < e; ++i) {
                forward_kinematics(model, Eigen::Map<const Vector7>(src + i * kDof), ws);
                collision_spheres(model, ws, width, s);
                d[i] = self_collision_distance(s);
                h[i] = d[i] < margin;
              }
            }, threads, 128);
          }
          return py::make_tuple(hit, dist);
        },
        py::arg("model"), py::arg("q"), py::arg("width") = 0.08, py::arg("margin") = 0.0, py::arg("threads") = 0,
        "Self-collision of N configurations: (in_collision (N,), min signed distance (N,) [m]).");

  m.def(
      "within_limits", [](const RobotModel& model, const py::object& q_obj) {
        auto q = checked_array<double>(q_obj, "q", {kDof}, false);
        return within_limits(model, to_q(q));
      },
      py::arg("model"), py::arg("q"));
}

namespace {
IkOptions make_ik_options(const RobotModel& model, int frame, int max_iterations, int restarts, double tol_position,
                          double tol_orientation, double damping, double posture_gain, const py::object& q_rest,
                          std::uint64_t seed) {
  IkOptions o;
  o.frame = checked_frame(frame);
  if (max_iterations <= 0) throw graspvla::InvalidArgument("max_iterations: must be > 0");
  if (restarts < 0) throw graspvla::InvalidArgument("restarts: must be >= 0");
  if (!(tol_position > 0) || !(tol_orientation > 0)) throw graspvla::InvalidArgument("tol_position/tol_orientation: must be > 0");
  if (!(damping >= 0) || !(posture_gain >= 0)) throw graspvla::InvalidArgument("damping/posture_gain: must be >= 0");
  o.max_iterations = max_iterations;
  o.restarts = restarts;
  o.tol_position = tol_position;
  o.tol_orientation = tol_orientation;
  o.damping = damping;
  o.posture_gain = posture_gain;
  o.seed = seed;
  if (!q_rest.is_none()) {
    o.q_rest = vec7(q_rest, "q_rest");
    check_in_limits(model, o.q_rest, "q_rest");
    o.use_rest = true;
  }
  return o;
}
}  // namespace
