#pragma once
// Antipodal grasp synthesis for a parallel-jaw hand (the Franka hand, graspvla/grasp/hand.hpp).
//
// 1. Sample surface points (area weighted); from each, cast a ray inwards (along the inward
//    normal, perturbed within a fraction of the friction cone) through the BVH to the opposite
//    surface; keep pairs inside both friction cones and narrower than the opening.
// 2. Around each pair's axis (= TCP y) sample approach directions (TCP z). For each hand pose,
//    cast a grid of rays from each open finger's inner face along the closing axis: the
//    fingers stop where the object protrudes most, so the real contacts, contact normals and
//    pad coverage are known; the TCP is re-centred between them (the fingers are coupled).
// 3. Reject: contact off the pads, contact normals outside the friction cone, too wide/narrow,
//    hand (open, and swept back along the approach) overlapping the object, table or obstacles.
// 4. Score (antipodality, pad coverage, distance of the grasp axis from the centre of mass,
//    Ferrari-Canny epsilon over the pad contacts, optional approach preference), sort, and keep
//    the top K after non-maximum suppression in pose space.
//
// Poses: TCP frame in the OBJECT frame (4x4). Scene obstacles are in the WORLD frame and
// `SceneObstacles::object_pose` maps object -> world. Metres, radians.
// Deterministic: the same seed gives the same grasps whatever the thread count.
#include <array>
#include <cstdint>
#include <limits>
#include <memory>
#include <utility>
#include <vector>

#include "graspvla/grasp/hand.hpp"
#include "graspvla/grasp/mesh.hpp"

namespace graspvla::grasp {

using Pose = Eigen::Isometry3d;

struct SynthesisOptions {
  int num_samples = 400;            ///< surface points (antipodal ray casts)
  int num_approaches = 8;           ///< approach directions around each grasp axis
  double friction = 0.5;            ///< Coulomb coefficient for the friction-cone tests
  double ray_cone_fraction = 0.5;   ///< ray direction spread, as a fraction of the friction cone angle
  double min_width = 0.002;         ///< m: thinnest graspable width
  double width_margin = 0.004;      ///< m: object width must be <= max_width - width_margin
  double clearance = 0.002;         ///< m: collision padding of the hand
  double approach_distance = 0.10;  ///< m: the open hand's straight approach along -z is collision checked
  double contact_tolerance = 0.0005; ///< m: ray cells within this of the first contact touch too
  int pad_grid = 5;                 ///< rays per side on the pad (pad_grid x pad_grid)
  int grid_x = 4;                   ///< coarse ray grid over the rest of the finger face (x by z)
  int grid_z = 8;
  bool require_pad_contact = true;  ///< reject grasps whose first contact is off the pads
  double table_pullback = 0.006;    ///< m: a pose hitting the table is retried this far back along -z
  // scoring: score = sum_k weight_k * quality_k (qualities in [0, 1])
  double weight_antipodal = 2.0;
  double weight_contact = 1.0;
  double weight_com = 1.0;
  double weight_epsilon = 1.0;
  double weight_approach = 0.0;
  double epsilon_ref = 0.2;         ///< epsilon quality = min(1, epsilon / epsilon_ref)
  Eigen::Vector3d preferred_approach = Eigen::Vector3d(0.0, 0.0, -1.0);  ///< world frame (unit)
  Eigen::Vector3d centre_of_mass = Eigen::Vector3d::Constant(std::numeric_limits<double>::quiet_NaN());
  ///< object frame; NaN = the uniform solid's centroid
  int max_grasps = 32;              ///< K returned after NMS (0 = all valid, no NMS)
  double nms_distance = 0.01;       ///< m: closer TCPs with ...
  double nms_angle = 0.35;          ///< rad: ... closer orientations are suppressed
  int threads = 0;                  ///< 0 = graspvla default
};

/// Obstacles around the object, world frame.
struct SceneObstacles {
  Pose object_pose = Pose::Identity();  ///< object -> world
  bool has_table = false;
  double table_z = 0.0;                 ///< world z of the table plane (everything below is solid)
  std::vector<Box> boxes;               ///< world frame
  std::vector<std::pair<Pose, std::shared_ptr<const PreparedMesh>>> meshes;  ///< mesh -> world
};

enum Quality : int { kAntipodal = 0, kContact = 1, kCom = 2, kEpsilon = 3, kApproach = 4, kNumQualities = 5 };

struct Grasp {
  Pose pose = Pose::Identity();  ///< TCP in the object frame
  double width = 0.0;            ///< object width between the pads at the contacts [m]
  double score = 0.0;
  std::array<double, kNumQualities> quality{};  ///< in [0, 1]; epsilon entry is the raw epsilon
  Eigen::Vector3d contact[2];    ///< mean contact point on finger +y / -y (object frame)
  Eigen::Vector3d normal[2];     ///< mean outward object normal there (object frame)
  int contact_cells[2] = {0, 0}; ///< ray cells touching each pad
  int sample = -1;               ///< surface sample it came from
};

enum Reject : int {
  kMiss = 0,            ///< antipodal ray or finger rays found no opposite surface
  kWidth = 1,           ///< wider than the opening (minus margin) or thinner than min_width
  kFriction = 2,        ///< contact normals outside the friction cone
  kOffPad = 3,          ///< first contact off the finger pads
  kCollisionObject = 4, ///< open hand or its approach overlaps the object
  kCollisionTable = 5,
  kCollisionScene = 6,
  kNumRejects = 7
};

struct SynthesisStats {
  std::int64_t samples = 0;     ///< surface points sampled
  std::int64_t pairs = 0;       ///< antipodal pairs found
  std::int64_t candidates = 0;  ///< hand poses evaluated
  std::int64_t valid = 0;       ///< candidates passing every test
  std::array<std::int64_t, kNumRejects> rejected{};
  double seconds = 0.0;
};

struct SynthesisResult {
  std::vector<Grasp> grasps;  ///< best first
  SynthesisStats stats;
};

/// Throws graspvla::InvalidArgument on invalid options / hand.
void check_options(const SynthesisOptions& o, const HandGeometry& h);

SynthesisResult synthesize(const PreparedMesh& mesh, const HandGeometry& hand, const SceneObstacles& scene,
                           const SynthesisOptions& options, std::uint64_t seed);

/// Many objects: parallel over objects when there are at least as many as threads, else over samples.
std::vector<SynthesisResult> synthesize_batch(const std::vector<const PreparedMesh*>& meshes,
                                              const std::vector<const SceneObstacles*>& scenes,
                                              const HandGeometry& hand, const SynthesisOptions& options,
                                              const std::vector<std::uint64_t>& seeds);

/// The bare antipodal test (step 1) for given surface points and ray directions (object
/// frame, rows): ray from points[i] along directions[i] (unit) to the first surface hit;
/// valid when the hit is within [min_width, max_width], the exit normal is within the friction
/// cone of the direction, and -normals[i] is too. Writes width[i] (NaN on a miss), far point
/// and far normal. Returns the number of valid pairs.
std::int64_t antipodal_test(const PreparedMesh& mesh, const double* points, const double* normals,
                            const double* directions, std::size_t n, double friction, double min_width,
                            double max_width, std::uint8_t* valid, double* width, double* far_points,
                            double* far_normals, std::size_t threads = 0);

/// Ferrari-Canny epsilon (L1, convex hull of primitive wrenches) of point contacts with Coulomb
/// friction: points/inward force directions (object frame), torques about `com` divided by
/// `torque_scale` [m]. Approximated from the hull's support function over a fixed set of
/// directions in R^6 (an upper bound that converges to the exact value). 0 if not force closure.
double ferrari_canny_epsilon(const Eigen::Vector3d* points, const Eigen::Vector3d* forces, int n, double friction,
                             const Eigen::Vector3d& com, double torque_scale) noexcept;

}  // namespace graspvla::grasp
