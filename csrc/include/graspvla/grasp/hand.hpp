#pragma once
// The Franka hand as boxes in the TCP frame, for grasp synthesis.
//
// TCP frame (the repo convention, graspvla.sim site "tcp", graspvla.robot Frame.TCP): origin
// between the fingertip pads, z = approach direction (from the palm towards the fingertips),
// y = finger closing axis (finger 1 on +y, finger 2 on -y), x = y cross z. Metres.
//
// Defaults are the collision geometry of the franky-sim/Menagerie hand used by graspvla.sim
// (checked against the MuJoCo model by tests/python/grasp): each finger's inner face is the
// plane y = +-width/2; its contact pad (four ridge boxes) covers |x| <= 8.5 mm,
// z in [-9, 8] mm; the rest of the finger's inner face is recessed by 2.5 mm.
#include <Eigen/Core>

namespace graspvla::grasp {

struct HandGeometry {
  double max_width = 0.08;          ///< opening of the fully open gripper [m]
  double finger_half_x = 0.0105;    ///< finger half size along TCP x [m]
  double finger_thickness = 0.0265; ///< finger size along y, outwards from its inner face [m]
  double finger_z_min = -0.045;     ///< finger extent along TCP z [m]
  double finger_z_max = 0.009;
  double pad_half_x = 0.0085;       ///< contact pad half size along x [m]
  double pad_z_min = -0.009;        ///< contact pad extent along z [m]
  double pad_z_max = 0.008;
  double finger_recess = 0.0025;    ///< inner face outside the pad lies this much further out [m]
  double palm_half_x = 0.0316;      ///< palm half extents along x, y [m]
  double palm_half_y = 0.104;
  double palm_z_min = -0.1293;      ///< palm extent along z [m]
  double palm_z_max = -0.0374;

  bool valid() const noexcept {
    return max_width > 0 && finger_half_x > 0 && finger_thickness > 0 && finger_z_max > finger_z_min &&
           pad_half_x > 0 && pad_half_x <= finger_half_x && pad_z_max > pad_z_min && pad_z_min >= finger_z_min &&
           pad_z_max <= finger_z_max && finger_recess >= 0 && palm_half_x > 0 && palm_half_y > 0 &&
           palm_z_max > palm_z_min;
  }
};

/// An oriented box in some frame: centre, rotation (columns = box axes), half extents.
struct Box {
  Eigen::Vector3d centre = Eigen::Vector3d::Zero();
  Eigen::Matrix3d rotation = Eigen::Matrix3d::Identity();
  Eigen::Vector3d half = Eigen::Vector3d::Zero();
};

/// The hand's collision boxes in the TCP frame at opening `width`: [0] finger +y, [1] finger -y,
/// [2] palm. Each is extended backwards (towards -z) by `sweep` (the approach motion) and
/// padded by `clearance` on every face except the fingers' inner faces.
inline void hand_boxes(const HandGeometry& h, double width, double sweep, double clearance, Box out[3]) noexcept {
  const double fz0 = h.finger_z_min - sweep - clearance, fz1 = h.finger_z_max + clearance;
  for (int s = 0; s < 2; ++s) {
    const double sign = s == 0 ? 1.0 : -1.0;
    const double y0 = 0.5 * width, y1 = 0.5 * width + h.finger_thickness + clearance;
    out[s].rotation.setIdentity();
    out[s].centre = Eigen::Vector3d(0.0, sign * 0.5 * (y0 + y1), 0.5 * (fz0 + fz1));
    out[s].half = Eigen::Vector3d(h.finger_half_x + clearance, 0.5 * (y1 - y0), 0.5 * (fz1 - fz0));
  }
  const double pz0 = h.palm_z_min - sweep - clearance, pz1 = h.palm_z_max + clearance;
  out[2].rotation.setIdentity();
  out[2].centre = Eigen::Vector3d(0.0, 0.0, 0.5 * (pz0 + pz1));
  out[2].half = Eigen::Vector3d(h.palm_half_x + clearance, h.palm_half_y + clearance, 0.5 * (pz1 - pz0));
}

/// Separating-axis overlap test of two oriented boxes given in the same frame.
bool boxes_overlap(const Box& a, const Box& b) noexcept;

}  // namespace graspvla::grasp
