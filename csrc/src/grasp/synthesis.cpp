#include "graspvla/grasp/synthesis.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <mutex>
#include <numeric>
#include <string>

#include "graspvla/core/errors.hpp"
#include "graspvla/core/parallel.hpp"

namespace graspvla::grasp {

using Eigen::Matrix3d;
using Eigen::Vector3d;

namespace {

constexpr int kMaxGrid = 16;
constexpr int kMaxCells = 2 * kMaxGrid * kMaxGrid;

/// splitmix64: a counter-based stream per (seed, sample), so results never depend on threads.
struct Rng {
  std::uint64_t s;
  Rng(std::uint64_t seed, std::uint64_t stream) : s(seed * 0x9E3779B97F4A7C15ULL ^ (stream + 0x632BE59BD9B4E019ULL)) {
    next();
    next();
  }
  std::uint64_t next() noexcept {
    std::uint64_t z = (s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  double uniform() noexcept { return static_cast<double>(next() >> 11) * (1.0 / 9007199254740992.0); }
};

void orthonormal_basis(const Vector3d& n, Vector3d& t1, Vector3d& t2) noexcept {
  const Vector3d a = std::abs(n.x()) < 0.6 ? Vector3d::UnitX() : (std::abs(n.y()) < 0.6 ? Vector3d::UnitY() : Vector3d::UnitZ());
  t1 = n.cross(a).normalized();
  t2 = n.cross(t1);
}

double rotation_angle(const Matrix3d& a, const Matrix3d& b) noexcept {
  const double c = 0.5 * ((a.transpose() * b).trace() - 1.0);
  return std::acos(std::clamp(c, -1.0, 1.0));
}

/// Oriented box vs triangle mesh (mesh frame -> world frame pose `T`), box in the world frame.
bool box_hits_mesh(const Box& b, const Pose& T, const PreparedMesh& mesh) noexcept {
  const Matrix3d Rt = T.linear().transpose();
  return mesh.contact().overlaps_box(Rt * (b.centre - T.translation()), Rt * b.rotation, b.half);
}

/// Everything a candidate evaluation needs, shared read-only across threads.
struct Context {
  const PreparedMesh& mesh;
  const HandGeometry& hand;
  const SceneObstacles& scene;
  const SynthesisOptions& opt;
  Vector3d com = Vector3d::Zero();
  double cos_cone = 1.0;
  Box local_boxes[3] = {};  // hand at full opening, swept, TCP frame
  Vector3d pref_obj = Vector3d::Zero();  // preferred approach in the object frame
  // finger-face ray cells (TCP x, 0, z): a dense grid on the pad, a coarse one on the rest
  Vector3d cells[kMaxCells] = {};
  bool pad[kMaxCells] = {};
  int ncell = 0, npad = 0;

  void build_cells() noexcept {
    const HandGeometry& h = hand;
    auto lin = [](double a, double b, int n, int i) { return n == 1 ? 0.5 * (a + b) : a + (b - a) * i / (n - 1); };
    for (int ix = 0; ix < opt.pad_grid; ++ix) {
      for (int iz = 0; iz < opt.pad_grid; ++iz) {
        cells[ncell] = Vector3d(lin(-h.pad_half_x, h.pad_half_x, opt.pad_grid, ix), 0.0,
                                lin(h.pad_z_min, h.pad_z_max, opt.pad_grid, iz));
        pad[ncell++] = true;
      }
    }
    npad = ncell;
    for (int ix = 0; ix < opt.grid_x; ++ix) {
      for (int iz = 0; iz < opt.grid_z; ++iz) {
        const double x = lin(-h.finger_half_x, h.finger_half_x, opt.grid_x, ix);
        const double z = lin(h.finger_z_min, h.finger_z_max, opt.grid_z, iz);
        if (std::abs(x) <= h.pad_half_x && z >= h.pad_z_min && z <= h.pad_z_max) continue;  // on the pad
        cells[ncell] = Vector3d(x, 0.0, z);
        pad[ncell++] = false;
      }
    }
  }
};

/// Evaluates the hand pose (R, c) (TCP in the object frame). Returns -1 and fills g when
/// valid, else the Reject code.
int evaluate(const Context& cx, const Matrix3d& R, const Vector3d& c, Grasp& g) noexcept {
  const HandGeometry& h = cx.hand;
  const SynthesisOptions& o = cx.opt;
  const PreparedMesh& mesh = cx.mesh;
  const double W = h.max_width;
  const Vector3d y = R.col(1);

  // ---- finger-face rays along the closing axis, from each open finger's inner face
  const int ncell = cx.ncell;
  const Vector3d* cell_origin = cx.cells;
  const bool* pad_cell = cx.pad;
  double stop[2] = {0.0, 0.0};  // how far each finger travels inwards before touching [m]
  double travel[2][kMaxCells];
  int tri_hit[2][kMaxCells];
  for (int s = 0; s < 2; ++s) {
    const double sign = s == 0 ? 1.0 : -1.0;
    const Vector3d dir = -sign * y;  // inwards
    for (int k = 0; k < ncell; ++k) {
      const Vector3d origin = c + R * Vector3d(cell_origin[k].x(), sign * 0.5 * W, cell_origin[k].z());
      double t;
      int tri;
      travel[s][k] = std::numeric_limits<double>::infinity();
      tri_hit[s][k] = -1;
      if (!mesh.contact().raycast(origin, dir, 0.0, W, t, tri)) continue;
      if (mesh.contact_face_normals()[tri].dot(dir) > 0.0) return kCollisionObject;  // the open finger starts inside
      const double offset = pad_cell[k] ? 0.0 : h.finger_recess;
      travel[s][k] = t + offset;  // finger travel until this cell's face touches
      tri_hit[s][k] = tri;
    }
    double best = std::numeric_limits<double>::infinity();
    for (int k = 0; k < ncell; ++k) best = std::min(best, travel[s][k]);
    if (!std::isfinite(best)) return kMiss;
    stop[s] = best;
  }
  // finger s inner face ends at sign * (W/2 - stop[s]) (TCP y, before re-centring)
  const double y_plus = 0.5 * W - stop[0], y_minus = -(0.5 * W - stop[1]);
  const double width = y_plus - y_minus;
  if (width < o.min_width || width > W - o.width_margin) return kWidth;

  // ---- contacts: cells within tolerance of the first touch
  Vector3d pts[2 * kMaxCells];
  Vector3d forces[2 * kMaxCells];
  int npts = 0;
  double align[2], coherence[2];
  for (int s = 0; s < 2; ++s) {
    const double sign = s == 0 ? 1.0 : -1.0;
    Vector3d nsum = Vector3d::Zero(), psum = Vector3d::Zero();
    int count = 0;
    for (int k = 0; k < ncell; ++k) {
      if (!(travel[s][k] <= stop[s] + o.contact_tolerance)) continue;
      if (!pad_cell[k] && o.require_pad_contact) return kOffPad;
      const double offset = pad_cell[k] ? 0.0 : h.finger_recess;
      const Vector3d p = c + R * Vector3d(cell_origin[k].x(), sign * (0.5 * W - (travel[s][k] - offset)), cell_origin[k].z());
      nsum += mesh.contact_face_normals()[tri_hit[s][k]];
      psum += p;
      pts[npts] = p;
      forces[npts] = -sign * y;
      ++npts;
      ++count;
    }
    g.contact_cells[s] = count;
    g.contact[s] = psum / count;
    coherence[s] = nsum.norm() / count;  // 1 = one flat patch, < 1 = an edge or crease
    g.normal[s] = nsum.normalized();
    align[s] = g.normal[s].dot(sign * y);
  }
  if (!(std::min(align[0], align[1]) >= cx.cos_cone)) return kFriction;

  // ---- re-centre between the contacts (coupled fingers touch together), then collisions
  const Vector3d centre = c + y * (0.5 * (y_plus + y_minus));
  Pose T_obj_tcp = Pose::Identity();
  T_obj_tcp.linear() = R;
  T_obj_tcp.translation() = centre;
  const Pose T_world_tcp = cx.scene.object_pose * T_obj_tcp;
  for (const Box& lb : cx.local_boxes) {
    const Vector3d bc = centre + R * lb.centre;
    if (mesh.contact().overlaps_box(bc, R, lb.half)) return kCollisionObject;
  }
  for (const Box& lb : cx.local_boxes) {
    Box wb;
    wb.centre = T_world_tcp * lb.centre;
    wb.rotation = T_world_tcp.linear();
    wb.half = lb.half;
    if (cx.scene.has_table) {
      const double zmin = wb.centre.z() - (wb.rotation.row(2).cwiseAbs() * wb.half.asDiagonal()).sum();
      if (zmin < cx.scene.table_z) return kCollisionTable;
    }
    for (const Box& ob : cx.scene.boxes) {
      if (boxes_overlap(wb, ob)) return kCollisionScene;
    }
    for (const auto& [pose, m] : cx.scene.meshes) {
      if (m && box_hits_mesh(wb, pose, *m)) return kCollisionScene;
    }
  }

  // ---- qualities
  // Antipodality as the squeeze's net push: with outward normals n+, n- the pads' equal normal
  // forces leave |n+ + n-| / 2 of each as a force that friction must hold (a wedge squeezes the
  // object out; MuJoCo's soft contacts let it creep). 0 push = 1, a push at the cone edge = 0;
  // scaled by the coherence of each patch's normals (edges and creases are unstable).
  const double push = 0.5 * (g.normal[0] + g.normal[1]).norm();
  const double sin_cone = std::sqrt(1.0 - cx.cos_cone * cx.cos_cone);
  const double q_antipodal =
      std::clamp(1.0 - push / sin_cone, 0.0, 1.0) * std::min(coherence[0], coherence[1]);
  // pad coverage, and how central the contacts sit on the pads along the approach (an object
  // held at the pads' rim pivots out of them)
  const double coverage = std::min(g.contact_cells[0], g.contact_cells[1]) / static_cast<double>(std::max(cx.npad, 1));
  const double pad_mid = 0.5 * (h.pad_z_min + h.pad_z_max), pad_half = 0.5 * (h.pad_z_max - h.pad_z_min);
  double off = 0.0;
  for (int s = 0; s < 2; ++s) off = std::max(off, std::abs((g.contact[s] - centre).dot(R.col(2)) - pad_mid) / pad_half);
  const double q_contact = 0.5 * coverage + 0.5 * std::clamp(1.0 - off, 0.0, 1.0);
  const Vector3d r = cx.com - centre;
  const double axis_dist = (r - r.dot(y) * y).norm();
  const double q_com = std::max(0.0, 1.0 - axis_dist / std::max(mesh.radius, 1e-3));
  const double eps = ferrari_canny_epsilon(pts, forces, npts, o.friction, cx.com, std::max(mesh.radius, 1e-3));
  const double q_eps = std::min(1.0, eps / o.epsilon_ref);
  const double q_app = 0.5 * (1.0 + R.col(2).dot(cx.pref_obj));
  g.pose = T_obj_tcp;
  g.width = width;
  g.quality = {q_antipodal, q_contact, q_com, eps, q_app};
  g.score = o.weight_antipodal * q_antipodal + o.weight_contact * q_contact + o.weight_com * q_com +
            o.weight_epsilon * q_eps + o.weight_approach * q_app;
  return -1;
}

/// The fixed direction set for the epsilon support function: +-unit axes, +-(e_i +- e_j)/sqrt2
/// and 128 pseudo-random unit vectors (fixed seed).
const std::vector<Eigen::Matrix<double, 6, 1>>& wrench_directions() {
  static const std::vector<Eigen::Matrix<double, 6, 1>> dirs = [] {
    std::vector<Eigen::Matrix<double, 6, 1>> d;
    for (int i = 0; i < 6; ++i) {
      for (double s : {1.0, -1.0}) {
        Eigen::Matrix<double, 6, 1> u = Eigen::Matrix<double, 6, 1>::Zero();
        u[i] = s;
        d.push_back(u);
      }
      for (int j = i + 1; j < 6; ++j) {
        for (double s : {1.0, -1.0}) {
          for (double t : {1.0, -1.0}) {
            Eigen::Matrix<double, 6, 1> u = Eigen::Matrix<double, 6, 1>::Zero();
            u[i] = s * M_SQRT1_2;
            u[j] = t * M_SQRT1_2;
            d.push_back(u);
          }
        }
      }
    }
    Rng rng(12345, 0);
    for (int k = 0; k < 128; ++k) {
      Eigen::Matrix<double, 6, 1> u;
      for (int i = 0; i < 6; ++i) {  // Box-Muller normals
        const double a = std::max(rng.uniform(), 1e-300), b = rng.uniform();
        u[i] = std::sqrt(-2.0 * std::log(a)) * std::cos(2.0 * M_PI * b);
      }
      d.push_back(u.normalized());
    }
    return d;
  }();
  return dirs;
}

}  // namespace

bool boxes_overlap(const Box& a, const Box& b) noexcept {
  const Matrix3d Rm = a.rotation.transpose() * b.rotation;  // b's axes in a's frame
  const Vector3d t = a.rotation.transpose() * (b.centre - a.centre);
  const Matrix3d Ra = (Rm.cwiseAbs().array() + 1e-12).matrix();
  for (int i = 0; i < 3; ++i) {
    if (std::abs(t[i]) > a.half[i] + Ra.row(i).dot(b.half)) return false;
  }
  for (int j = 0; j < 3; ++j) {
    if (std::abs(t.dot(Rm.col(j))) > Ra.col(j).dot(a.half) + b.half[j]) return false;
  }
  for (int i = 0; i < 3; ++i) {
    for (int j = 0; j < 3; ++j) {
      const int i1 = (i + 1) % 3, i2 = (i + 2) % 3, j1 = (j + 1) % 3, j2 = (j + 2) % 3;
      const double ra = a.half[i1] * Ra(i2, j) + a.half[i2] * Ra(i1, j);
      const double rb = b.half[j1] * Ra(i, j2) + b.half[j2] * Ra(i, j1);
      if (std::abs(t[i2] * Rm(i1, j) - t[i1] * Rm(i2, j)) > ra + rb) return false;
    }
  }
  return true;
}

double ferrari_canny_epsilon(const Vector3d* points, const Vector3d* forces, int n, double friction,
                             const Vector3d& com, double torque_scale) noexcept {
  constexpr int kEdges = 8;
  constexpr int kMaxWrenches = 2 * kMaxCells * kEdges;
  using Vec6 = Eigen::Matrix<double, 6, 1>;
  static thread_local Vec6 w[kMaxWrenches];
  n = std::min(n, kMaxWrenches / kEdges);
  int nw = 0;
  const double norm = 1.0 / std::sqrt(1.0 + friction * friction);
  for (int i = 0; i < n; ++i) {
    Vector3d t1, t2;
    orthonormal_basis(forces[i], t1, t2);
    const Vector3d r = (points[i] - com) / torque_scale;
    for (int e = 0; e < kEdges; ++e) {
      const double a = 2.0 * M_PI * e / kEdges;
      const Vector3d f = norm * (forces[i] + friction * (std::cos(a) * t1 + std::sin(a) * t2));
      w[nw].head<3>() = f;
      w[nw].tail<3>() = r.cross(f);
      ++nw;
    }
  }
  // support h(u) = max_i u . w_i of the hull of primitive wrenches; epsilon = min_u h(u), >= 0
  double eps = std::numeric_limits<double>::infinity();
  for (const Vec6& u : wrench_directions()) {
    double h = -std::numeric_limits<double>::infinity();
    for (int i = 0; i < nw; ++i) h = std::max(h, u.dot(w[i]));
    eps = std::min(eps, h);
    if (eps <= 0.0) return 0.0;
  }
  return std::isfinite(eps) ? eps : 0.0;
}

void check_options(const SynthesisOptions& o, const HandGeometry& h) {
  auto fail = [](const std::string& m) { throw InvalidArgument("config: " + m); };
  if (!h.valid()) fail("hand geometry is inconsistent (sizes must be > 0, pad inside the finger face)");
  if (o.num_samples < 1 || o.num_approaches < 1) fail("num_samples and num_approaches must be >= 1");
  if (!(o.friction > 0 && o.friction < 10)) fail("friction must be in (0, 10)");
  if (!(o.ray_cone_fraction >= 0 && o.ray_cone_fraction <= 1)) fail("ray_cone_fraction must be in [0, 1]");
  if (!(o.min_width >= 0 && o.width_margin >= 0 && o.min_width < h.max_width - o.width_margin)) {
    fail("need 0 <= min_width < max_width - width_margin");
  }
  if (!(o.clearance >= 0 && o.approach_distance >= 0 && o.contact_tolerance >= 0 && o.table_pullback >= 0)) {
    fail("clearance, approach_distance, contact_tolerance and table_pullback must be >= 0");
  }
  if (o.grid_x < 1 || o.grid_z < 1 || o.pad_grid < 1 || o.grid_x > kMaxGrid || o.grid_z > kMaxGrid ||
      o.pad_grid > kMaxGrid) {
    fail("pad_grid, grid_x and grid_z must be in [1, " + std::to_string(kMaxGrid) + "]");
  }
  if (!(o.epsilon_ref > 0) || o.max_grasps < 0 || !(o.nms_distance >= 0) || !(o.nms_angle >= 0)) {
    fail("epsilon_ref must be > 0; max_grasps, nms_distance, nms_angle >= 0");
  }
  for (double w : {o.weight_antipodal, o.weight_contact, o.weight_com, o.weight_epsilon, o.weight_approach}) {
    if (!std::isfinite(w)) fail("weights must be finite");
  }
  if (!o.preferred_approach.allFinite() || o.preferred_approach.norm() < 1e-9) {
    fail("preferred_approach must be a finite non-zero vector");
  }
}

SynthesisResult synthesize(const PreparedMesh& mesh, const HandGeometry& hand, const SceneObstacles& scene,
                           const SynthesisOptions& opt, std::uint64_t seed) {
  check_options(opt, hand);
  const auto t0 = std::chrono::steady_clock::now();
  Context cx{mesh, hand, scene, opt};
  cx.com = opt.centre_of_mass.allFinite() ? Vector3d(opt.centre_of_mass) : mesh.centroid;
  cx.cos_cone = std::cos(std::atan(opt.friction));
  hand_boxes(hand, hand.max_width, opt.approach_distance, opt.clearance, cx.local_boxes);
  cx.build_cells();
  cx.pref_obj = scene.object_pose.linear().transpose() * opt.preferred_approach.normalized();

  const int ns = opt.num_samples, na = opt.num_approaches;
  std::vector<Grasp> slots(static_cast<std::size_t>(ns) * na);
  std::vector<std::int8_t> status(slots.size(), -2);  // -2 not evaluated, -1 valid, >= 0 reject code
  std::vector<std::int8_t> pair_status(ns, -1);       // reject code of the antipodal stage, -1 = pair
  const double cone = std::atan(opt.friction);
  const double max_pair_width = hand.max_width - opt.width_margin;
  const double total_area = mesh.area_cdf.back();

  parallel_for(
      static_cast<std::size_t>(ns),
      [&](std::size_t b, std::size_t e) {
        for (std::size_t i = b; i < e; ++i) {
          Rng rng(seed, i);
          // area-weighted surface point
          const double u = rng.uniform() * total_area;
          const std::size_t f = std::min<std::size_t>(
              std::upper_bound(mesh.area_cdf.begin(), mesh.area_cdf.end(), u) - mesh.area_cdf.begin(),
              mesh.faces.size() - 1);
          double r1 = std::sqrt(rng.uniform()), r2 = rng.uniform();
          const auto& tri = mesh.faces[f];
          const Vector3d p = (1 - r1) * mesh.vertices[tri[0]] + r1 * (1 - r2) * mesh.vertices[tri[1]] +
                             r1 * r2 * mesh.vertices[tri[2]];
          const Vector3d n = mesh.normals[f];
          Vector3d t1, t2;
          orthonormal_basis(n, t1, t2);
          const double theta = opt.ray_cone_fraction * cone * std::sqrt(rng.uniform()), phi = 2 * M_PI * rng.uniform();
          const Vector3d d = (-std::cos(theta) * n + std::sin(theta) * (std::cos(phi) * t1 + std::sin(phi) * t2)).normalized();
          const double phase = rng.uniform() * 2 * M_PI / na;
          double t;
          int hit;
          if (!mesh.bvh.raycast(p, d, 1e-7, hand.max_width, t, hit)) {
            pair_status[i] = kMiss;
            continue;
          }
          if (mesh.normals[hit].dot(d) < std::cos(cone)) {
            pair_status[i] = kFriction;
            continue;
          }
          if (t < opt.min_width || t > max_pair_width) {
            pair_status[i] = kWidth;
            continue;
          }
          const Vector3d c = p + 0.5 * t * d;
          Vector3d e1, e2;
          orthonormal_basis(d, e1, e2);
          for (int j = 0; j < na; ++j) {
            const double a = phase + 2 * M_PI * j / na;
            const Vector3d z = std::cos(a) * e1 + std::sin(a) * e2;
            Matrix3d R;
            R.col(0) = d.cross(z);
            R.col(1) = d;
            R.col(2) = z;
            Grasp& g = slots[i * na + j];
            g.sample = static_cast<int>(i);
            int st = evaluate(cx, R, c, g);
            // low objects: the fingertips reach below the table; retry with the hand pulled back
            // along the approach so the object meets the pads' lower part instead of their centre
            if (st == kCollisionTable && opt.table_pullback > 0) st = evaluate(cx, R, c - opt.table_pullback * z, g);
            status[i * na + j] = static_cast<std::int8_t>(st);
          }
        }
      },
      static_cast<std::size_t>(opt.threads), 8);

  SynthesisResult res;
  SynthesisStats& st = res.stats;
  st.samples = ns;
  for (int i = 0; i < ns; ++i) {
    if (pair_status[i] >= 0) {
      ++st.rejected[pair_status[i]];
      continue;
    }
    ++st.pairs;
  }
  std::vector<int> valid;
  for (std::size_t k = 0; k < slots.size(); ++k) {
    if (status[k] == -2) continue;
    ++st.candidates;
    if (status[k] == -1) valid.push_back(static_cast<int>(k));
    else ++st.rejected[status[k]];
  }
  st.valid = static_cast<std::int64_t>(valid.size());
  std::stable_sort(valid.begin(), valid.end(), [&](int a, int b) { return slots[a].score > slots[b].score; });
  const Matrix3d flip = Eigen::Vector3d(-1.0, -1.0, 1.0).asDiagonal();
  for (int k : valid) {
    if (opt.max_grasps > 0 && static_cast<int>(res.grasps.size()) >= opt.max_grasps) break;
    const Grasp& g = slots[k];
    bool suppressed = false;
    if (opt.max_grasps > 0) {
      for (const Grasp& kept : res.grasps) {
        if ((kept.pose.translation() - g.pose.translation()).norm() >= opt.nms_distance) continue;
        const double ang = std::min(rotation_angle(kept.pose.linear(), g.pose.linear()),
                                    rotation_angle(kept.pose.linear(), g.pose.linear() * flip));
        if (ang < opt.nms_angle) {
          suppressed = true;
          break;
        }
      }
    }
    if (!suppressed) res.grasps.push_back(g);
  }
  st.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return res;
}

std::vector<SynthesisResult> synthesize_batch(const std::vector<const PreparedMesh*>& meshes,
                                              const std::vector<const SceneObstacles*>& scenes,
                                              const HandGeometry& hand, const SynthesisOptions& options,
                                              const std::vector<std::uint64_t>& seeds) {
  check_options(options, hand);
  const std::size_t n = meshes.size();
  if (scenes.size() != n || seeds.size() != n) throw InvalidArgument("meshes, scenes and seeds must have equal lengths");
  std::vector<SynthesisResult> out(n);
  const std::size_t threads = resolve_num_threads(static_cast<std::size_t>(options.threads));
  if (n >= threads && threads > 1) {
    SynthesisOptions inner = options;
    inner.threads = 1;
    parallel_for(
        n, [&](std::size_t b, std::size_t e) {
          for (std::size_t i = b; i < e; ++i) out[i] = synthesize(*meshes[i], hand, *scenes[i], inner, seeds[i]);
        },
        threads, 1);
  } else {
    for (std::size_t i = 0; i < n; ++i) out[i] = synthesize(*meshes[i], hand, *scenes[i], options, seeds[i]);
  }
  return out;
}

std::int64_t antipodal_test(const PreparedMesh& mesh, const double* points, const double* normals,
                            const double* directions, std::size_t n, double friction, double min_width,
                            double max_width, std::uint8_t* valid, double* width, double* far_points,
                            double* far_normals, std::size_t threads) {
  const double cos_cone = std::cos(std::atan(friction));
  std::atomic<std::int64_t> count{0};
  parallel_for(
      n,
      [&](std::size_t b, std::size_t e) {
        std::int64_t local = 0;
        for (std::size_t i = b; i < e; ++i) {
          const Vector3d p = Eigen::Map<const Vector3d>(points + 3 * i);
          const Vector3d nn = Eigen::Map<const Vector3d>(normals + 3 * i);
          const Vector3d d = Eigen::Map<const Vector3d>(directions + 3 * i);
          double t;
          int hit;
          valid[i] = 0;
          if (!mesh.bvh.raycast(p, d, 1e-7, max_width, t, hit)) {
            width[i] = std::numeric_limits<double>::quiet_NaN();
            Eigen::Map<Vector3d>(far_points + 3 * i).setConstant(std::numeric_limits<double>::quiet_NaN());
            Eigen::Map<Vector3d>(far_normals + 3 * i).setConstant(std::numeric_limits<double>::quiet_NaN());
            continue;
          }
          width[i] = t;
          Eigen::Map<Vector3d>(far_points + 3 * i) = p + t * d;
          Eigen::Map<Vector3d>(far_normals + 3 * i) = mesh.normals[hit];
          const bool ok = t >= min_width && mesh.normals[hit].dot(d) >= cos_cone && -nn.dot(d) >= cos_cone;
          valid[i] = ok ? 1 : 0;
          local += ok ? 1 : 0;
        }
        count += local;
      },
      threads, 256);
  return count.load();
}

}  // namespace graspvla::grasp
