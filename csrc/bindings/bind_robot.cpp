// graspvla._core.robot: Franka kinematics. Thin: validate with the GIL, compute without it.
#include <pybind11/eigen.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "common.hpp"
#include "graspvla/core/parallel.hpp"
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
      "jacobian",
      [](const RobotModel& model, const py::object& q_obj, int frame, const py::object& out) {
        auto q = checked_array<double>(q_obj, "q", {kDof});
        Frame f = checked_frame(frame);
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
      py::arg("model"), py::arg("q"), py::arg("frame") = static_cast<int>(Tcp), py::arg("out") = py::none(),
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

  m.def(
      "within_limits", [](const RobotModel& model, const py::object& q_obj) {
        auto q = checked_array<double>(q_obj, "q", {kDof}, false);
        return within_limits(model, to_q(q));
      },
      py::arg("model"), py::arg("q"));
}
