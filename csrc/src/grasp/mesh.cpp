#include "graspvla/grasp/mesh.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <numeric>
#include <sstream>
#include <unordered_map>

#include "graspvla/core/errors.hpp"

namespace graspvla::grasp {

namespace {

[[noreturn]] void reject(const std::string& what) { throw InvalidMesh("mesh: " + what); }

std::string fmt(double v) {
  std::ostringstream s;
  s.precision(4);
  s << v;
  return s.str();
}

struct EdgeRef {
  int lo, hi;  // sorted vertex pair
  int face;
  bool forward;  // the face traverses lo -> hi
};

std::vector<EdgeRef> sorted_edges(const std::vector<Eigen::Vector3i>& faces) {
  std::vector<EdgeRef> edges;
  edges.reserve(faces.size() * 3);
  for (int f = 0; f < static_cast<int>(faces.size()); ++f) {
    for (int k = 0; k < 3; ++k) {
      const int a = faces[f][k], b = faces[f][(k + 1) % 3];
      edges.push_back({std::min(a, b), std::max(a, b), f, a < b});
    }
  }
  std::sort(edges.begin(), edges.end(), [](const EdgeRef& x, const EdgeRef& y) {
    return x.lo != y.lo ? x.lo < y.lo : (x.hi != y.hi ? x.hi < y.hi : x.face < y.face);
  });
  return edges;
}

}  // namespace

std::shared_ptr<const PreparedMesh> prepare_mesh(const RowPoints& V, const RowFaces& F, const MeshOptions& opt) {
  const Eigen::Index nv = V.rows(), nf = F.rows();
  if (nv < 4 || nf < 4) {
    reject("needs at least 4 vertices and 4 faces to enclose a volume, got " + std::to_string(nv) + " vertices and " +
           std::to_string(nf) + " faces");
  }
  if (!V.allFinite()) reject("vertices contain NaN or infinite values");
  for (Eigen::Index i = 0; i < nf; ++i) {
    for (int k = 0; k < 3; ++k) {
      if (F(i, k) < 0 || F(i, k) >= nv) {
        reject("face " + std::to_string(i) + " refers to vertex " + std::to_string(F(i, k)) + ", outside [0, " +
               std::to_string(nv) + ")");
      }
    }
  }
  auto out = std::make_shared<PreparedMesh>();
  RepairReport& rep = out->report;

  // ---- scale
  const Vec3 lo = V.colwise().minCoeff().transpose(), hi = V.colwise().maxCoeff().transpose();
  const double extent = (hi - lo).maxCoeff();
  if (!(extent >= opt.min_extent && extent <= opt.max_extent)) {
    std::string hint = extent > opt.max_extent ? " (millimetres? scale the vertices by 0.001)"
                                               : " (a point-like or flat mesh, or the wrong unit)";
    reject("absurd scale: largest extent " + fmt(extent) + " m is outside [" + fmt(opt.min_extent) + ", " +
           fmt(opt.max_extent) + "] m" + hint);
  }

  // ---- weld duplicate vertices (grid of weld_tolerance; exact copies always merge)
  const double tol = std::max(opt.weld_tolerance, 1e-12);
  std::vector<std::array<std::int64_t, 3>> keys(nv);
  for (Eigen::Index i = 0; i < nv; ++i) {
    for (int k = 0; k < 3; ++k) keys[i][k] = static_cast<std::int64_t>(std::llround((V(i, k) - lo[k]) / tol));
  }
  std::vector<int> order(nv);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return keys[a] < keys[b]; });
  std::vector<int> remap(nv);
  std::vector<Vec3>& verts = out->vertices;
  for (Eigen::Index j = 0; j < nv; ++j) {
    const int i = order[j];
    if (j > 0 && keys[i] == keys[order[j - 1]]) {
      remap[i] = remap[order[j - 1]];
      ++rep.welded_vertices;
    } else {
      remap[i] = static_cast<int>(verts.size());
      verts.push_back(V.row(i).transpose());
    }
  }
  if (rep.welded_vertices && !opt.repair) {
    reject(std::to_string(rep.welded_vertices) + " duplicate vertices (repair=True merges them)");
  }

  // ---- faces: drop degenerate and duplicate ones
  std::vector<Eigen::Vector3i>& faces = out->faces;
  faces.reserve(nf);
  const double min_area2 = std::pow(1e-12 * extent * extent, 2);
  std::vector<std::array<int, 3>> seen;
  seen.reserve(nf);
  for (Eigen::Index i = 0; i < nf; ++i) {
    Eigen::Vector3i t(remap[F(i, 0)], remap[F(i, 1)], remap[F(i, 2)]);
    if (t[0] == t[1] || t[1] == t[2] || t[0] == t[2] ||
        (verts[t[1]] - verts[t[0]]).cross(verts[t[2]] - verts[t[0]]).squaredNorm() <= 4 * min_area2) {
      ++rep.degenerate_faces;
      continue;
    }
    faces.push_back(t);
  }
  {
    std::vector<int> idx(faces.size());
    std::iota(idx.begin(), idx.end(), 0);
    auto key = [&](int f) {
      std::array<int, 3> k{faces[f][0], faces[f][1], faces[f][2]};
      std::sort(k.begin(), k.end());
      return k;
    };
    std::stable_sort(idx.begin(), idx.end(), [&](int a, int b) { return key(a) < key(b); });
    std::vector<char> drop(faces.size(), 0);
    for (std::size_t j = 1; j < idx.size(); ++j) {
      if (key(idx[j]) == key(idx[j - 1])) drop[idx[j]] = 1;
    }
    std::vector<Eigen::Vector3i> kept;
    kept.reserve(faces.size());
    for (std::size_t f = 0; f < faces.size(); ++f) {
      if (drop[f]) ++rep.duplicate_faces;
      else kept.push_back(faces[f]);
    }
    faces.swap(kept);
  }
  if ((rep.degenerate_faces || rep.duplicate_faces) && !opt.repair) {
    reject(std::to_string(rep.degenerate_faces) + " zero-area faces and " + std::to_string(rep.duplicate_faces) +
           " duplicate faces (repair=True drops them)");
  }
  if (faces.size() < 4) reject("fewer than 4 non-degenerate faces remain; the mesh encloses no volume");

  // ---- topology: manifold check and consistent orientation (BFS over shared edges)
  std::vector<EdgeRef> edges = sorted_edges(faces);
  const int m = static_cast<int>(faces.size());
  std::vector<std::vector<std::pair<int, bool>>> adj(m);  // (neighbour, same direction on the shared edge)
  std::vector<std::pair<int, int>> boundary;               // directed boundary edges a -> b as wound
  int nonmanifold = 0;
  for (std::size_t i = 0; i < edges.size();) {
    std::size_t j = i;
    while (j < edges.size() && edges[j].lo == edges[i].lo && edges[j].hi == edges[i].hi) ++j;
    const std::size_t count = j - i;
    if (count == 1) {
      const EdgeRef& e = edges[i];
      boundary.emplace_back(e.forward ? e.lo : e.hi, e.forward ? e.hi : e.lo);
    } else if (count == 2) {
      const EdgeRef &a = edges[i], &b = edges[i + 1];
      adj[a.face].emplace_back(b.face, a.forward == b.forward);
      adj[b.face].emplace_back(a.face, a.forward == b.forward);
    } else {
      ++nonmanifold;
    }
    i = j;
  }
  // Edges shared by more than two faces (e.g. two solids touching along an edge) are kept: the
  // surface stays usable for ray casts; orientation does not propagate across them.
  rep.nonmanifold_edges = nonmanifold;
  if (nonmanifold && !opt.repair) {
    reject("non-manifold: " + std::to_string(nonmanifold) + " edges are shared by more than two faces");
  }
  std::vector<int> comp(m, -1);
  std::vector<char> flip(m, 0);
  int ncomp = 0;
  std::vector<int> queue;
  queue.reserve(m);
  for (int s = 0; s < m; ++s) {
    if (comp[s] >= 0) continue;
    comp[s] = ncomp;
    queue.assign(1, s);
    for (std::size_t qi = 0; qi < queue.size(); ++qi) {
      const int f = queue[qi];
      for (auto [g, same] : adj[f]) {
        const char want = static_cast<char>(flip[f] ^ (same ? 1 : 0));
        if (comp[g] < 0) {
          comp[g] = ncomp;
          flip[g] = want;
          queue.push_back(g);
        } else if (flip[g] != want) {
          reject("non-orientable surface (a Moebius-like band): no consistent face winding exists");
        }
      }
    }
    ++ncomp;
  }
  int inconsistent = 0;
  for (int f = 0; f < m; ++f) {
    if (flip[f]) {
      std::swap(faces[f][1], faces[f][2]);
      ++inconsistent;
    }
  }
  if (inconsistent && !opt.repair) {
    reject(std::to_string(inconsistent) + " faces are wound against their neighbours (flipped normals); "
           "repair=True re-orients them");
  }
  // boundary edges were recorded before the re-orientation: recompute their direction
  if (!boundary.empty()) {
    boundary.clear();
    std::vector<EdgeRef> e2 = sorted_edges(faces);
    for (std::size_t i = 0; i < e2.size();) {
      std::size_t j = i;
      while (j < e2.size() && e2[j].lo == e2[i].lo && e2[j].hi == e2[i].hi) ++j;
      if (j - i == 1) boundary.emplace_back(e2[i].forward ? e2[i].lo : e2[i].hi, e2[i].forward ? e2[i].hi : e2[i].lo);
      i = j;
    }
  }

  // ---- holes: trace boundary loops and close each with a fan (consistent with its rim)
  if (!boundary.empty()) {
    if (!opt.repair) {
      reject("open surface: " + std::to_string(boundary.size()) + " boundary edges (holes); repair=True fills them");
    }
    // the fan traverses each rim edge a -> b as b -> a; loops are traced edge by edge, so two
    // holes that touch at a vertex are still closed (each its own fan)
    std::unordered_multimap<int, int> out_edges;  // b -> index into boundary
    for (std::size_t e = 0; e < boundary.size(); ++e) out_edges.emplace(boundary[e].second, static_cast<int>(e));
    std::unordered_map<int, int> vertex_comp;
    for (int f = 0; f < m; ++f) {
      for (int k = 0; k < 3; ++k) vertex_comp.emplace(faces[f][k], comp[f]);
    }
    std::vector<char> used(boundary.size(), 0);
    for (std::size_t e0 = 0; e0 < boundary.size(); ++e0) {
      if (used[e0]) continue;
      std::vector<int> loop;
      const int start = boundary[e0].second;
      int e = static_cast<int>(e0);
      while (true) {
        used[e] = 1;
        loop.push_back(boundary[e].second);
        const int v = boundary[e].first;  // reversed edge b -> a ends at a
        if (v == start) break;
        int next = -1;
        auto range = out_edges.equal_range(v);
        for (auto it = range.first; it != range.second; ++it) {
          if (!used[it->second]) {
            next = it->second;
            break;
          }
        }
        if (next < 0) reject("hole boundary does not close into a loop; fill the holes before grasp synthesis");
        e = next;
        if (static_cast<int>(loop.size()) > opt.max_hole_edges) {
          reject("a hole with more than " + std::to_string(opt.max_hole_edges) +
                 " boundary edges: the surface is too open to repair; close it first");
        }
      }
      if (loop.size() < 3) reject("hole boundary does not close into a loop");
      const int c = vertex_comp[loop.front()];
      if (loop.size() == 3) {
        faces.emplace_back(loop[0], loop[1], loop[2]);
        comp.push_back(c);
      } else {
        Vec3 centre = Vec3::Zero();
        for (int u : loop) centre += verts[u];
        centre /= static_cast<double>(loop.size());
        const int ci = static_cast<int>(verts.size());
        verts.push_back(centre);
        for (std::size_t k = 0; k < loop.size(); ++k) {
          faces.emplace_back(loop[k], loop[(k + 1) % loop.size()], ci);
          comp.push_back(c);
        }
      }
      ++rep.holes_filled;
    }
  }

  // ---- outward orientation per component (signed volume)
  std::vector<double> comp_vol(ncomp, 0.0);
  for (std::size_t f = 0; f < faces.size(); ++f) {
    const Vec3 &a = verts[faces[f][0]], &b = verts[faces[f][1]], &c = verts[faces[f][2]];
    comp_vol[comp[f]] += (a - lo).dot((b - lo).cross(c - lo)) / 6.0;
  }
  int inward = 0;
  for (std::size_t f = 0; f < faces.size(); ++f) {
    if (comp_vol[comp[f]] < 0) {
      std::swap(faces[f][1], faces[f][2]);
      if (f < static_cast<std::size_t>(m)) ++inward;
    }
  }
  if (inward && !opt.repair) {
    reject("flipped normals: they point inward (negative enclosed volume); repair=True flips them");
  }
  // faces flipped relative to the input: inconsistent ones not undone by the global flip, and vice versa
  rep.flipped_faces = 0;
  for (int f = 0; f < m; ++f) rep.flipped_faces += (flip[f] != (comp_vol[comp[f]] < 0)) ? 1 : 0;
  rep.components = ncomp;

  // ---- normals, areas, volume, centre of mass
  const std::size_t nfaces = faces.size();
  out->normals.resize(nfaces);
  out->area_cdf.resize(nfaces);
  double area = 0.0, vol6 = 0.0;
  Vec3 moment = Vec3::Zero();
  for (std::size_t f = 0; f < nfaces; ++f) {
    const Vec3 &a = verts[faces[f][0]], &b = verts[faces[f][1]], &c = verts[faces[f][2]];
    const Vec3 n = (b - a).cross(c - a);
    const double nn = n.norm();
    out->normals[f] = n / nn;
    area += 0.5 * nn;
    out->area_cdf[f] = area;
    const double v6 = (a - lo).dot((b - lo).cross(c - lo));
    vol6 += v6;
    moment += v6 * ((a - lo) + (b - lo) + (c - lo)) / 4.0;
  }
  out->area = area;
  out->volume = vol6 / 6.0;
  if (!(out->volume > 1e-9 * extent * extent * extent)) {
    reject("encloses (almost) zero volume (" + fmt(out->volume) + " m^3): a flat or open surface");
  }
  out->centroid = lo + moment / vol6;
  out->radius = 0.0;
  for (const Vec3& v : verts) {
    out->bounds.grow(v);
    out->radius = std::max(out->radius, (v - out->centroid).norm());
  }

  geometry::Bvh::RowPoints P(static_cast<Eigen::Index>(verts.size()), 3);
  for (std::size_t i = 0; i < verts.size(); ++i) P.row(static_cast<Eigen::Index>(i)) = verts[i].transpose();
  geometry::Bvh::RowTriangles T(static_cast<Eigen::Index>(nfaces), 3);
  for (std::size_t f = 0; f < nfaces; ++f) T.row(static_cast<Eigen::Index>(f)) = faces[f].transpose();
  out->bvh.build_mesh(P, T);
  return out;
}

void set_convex_contact_surface(PreparedMesh& mesh, const std::vector<std::pair<RowPoints, RowFaces>>& parts) {
  std::vector<Vec3> verts;
  std::vector<Eigen::Vector3i> tris;
  std::vector<Vec3> normals;
  for (std::size_t k = 0; k < parts.size(); ++k) {
    const RowPoints& V = parts[k].first;
    const RowFaces& F = parts[k].second;
    const std::string name = "collision part " + std::to_string(k);
    if (V.rows() < 4 || F.rows() < 4) reject(name + ": needs at least 4 vertices and 4 faces");
    if (!V.allFinite()) reject(name + ": vertices contain NaN or infinite values");
    const Vec3 centre = V.colwise().mean().transpose();
    const int base = static_cast<int>(verts.size());
    for (Eigen::Index i = 0; i < V.rows(); ++i) verts.push_back(V.row(i).transpose());
    for (Eigen::Index i = 0; i < F.rows(); ++i) {
      Eigen::Vector3i t;
      for (int j = 0; j < 3; ++j) {
        if (F(i, j) < 0 || F(i, j) >= V.rows()) reject(name + ": face index out of range");
        t[j] = static_cast<int>(F(i, j));
      }
      const Vec3 &a = V.row(t[0]).transpose(), &b = V.row(t[1]).transpose(), &c = V.row(t[2]).transpose();
      Vec3 n = (b - a).cross(c - a);
      const double nn = n.norm();
      if (!(nn > 1e-18)) continue;  // degenerate: skipped
      n /= nn;
      if (n.dot(a - centre) < 0) {  // convex piece: outward = away from its centroid
        std::swap(t[1], t[2]);
        n = -n;
      }
      tris.emplace_back(t[0] + base, t[1] + base, t[2] + base);
      normals.push_back(n);
    }
  }
  if (tris.empty()) {
    mesh.contact_normals.clear();
    mesh.contact_bvh = geometry::Bvh();
    return;
  }
  geometry::Bvh::RowPoints P(static_cast<Eigen::Index>(verts.size()), 3);
  for (std::size_t i = 0; i < verts.size(); ++i) P.row(static_cast<Eigen::Index>(i)) = verts[i].transpose();
  geometry::Bvh::RowTriangles T(static_cast<Eigen::Index>(tris.size()), 3);
  for (std::size_t f = 0; f < tris.size(); ++f) T.row(static_cast<Eigen::Index>(f)) = tris[f].transpose();
  mesh.contact_bvh.build_mesh(P, T);
  mesh.contact_normals = std::move(normals);
}

}  // namespace graspvla::grasp
