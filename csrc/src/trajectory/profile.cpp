// One-DoF jerk-limited profiles, parametrised by the peak velocity vp at which the acceleration
// passes through zero:
//   (v0, a0) --change--> (vp, 0) --cruise tc--> (vp, 0) --change--> (vf, af)
// A "change" is the time-optimal two-ramp acceleration profile between two (velocity,
// acceleration) states (jerk +-J, an optional hold at +-A, jerk -+J). The distance covered with
// zero cruise, D(vp), is continuous in vp, so the minimum-time profile is either a cruise at
// +-vmax or the root of D(vp) = distance; a profile of a prescribed longer duration T is the
// root of D(vp) + vp (T - time(vp)) = distance. Roots are found with a bracketed Illinois
// (regula falsi) iteration. Everything here is allocation free and exception free.
#include "graspvla/trajectory/profile.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace graspvla::trajectory {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

inline void integrate(double t, double j, double& p, double& v, double& a) {
  p += t * (v + t * (0.5 * a + t * j * (1.0 / 6.0)));
  v += t * (a + 0.5 * j * t);
  a += j * t;
}

// One direction s of the change from (v0, a0) to (v1, a1): the acceleration ramps (jerk s J)
// to a peak s*ap, holds at the limit if needed, and ramps back (jerk -s J) to a1. Returns the
// duration, or infinity if this direction cannot realise the change.
inline double change_dir(double s, double v0, double a0, double v1, double a1, const DofLimits& L, double* t) {
  const double b0 = s * a0, b1 = s * a1, dv = s * (v1 - v0);
  const double m = std::max(b0, b1);
  const double q = L.j * dv + 0.5 * (b0 * b0 + b1 * b1);
  // Tolerances relative to the problem's own scale (limits can span many orders of magnitude).
  if (q < -1e-12 * (L.j * std::abs(dv) + 0.5 * (b0 * b0 + b1 * b1))) return kInf;
  const double r = std::sqrt(std::max(0.0, q));
  const double tol = 1e-9 * std::max({std::abs(b0), std::abs(b1), r});
  double ap;
  if (-r >= m - tol) {
    ap = std::max(-r, m);  // the lower peak is the faster one
  } else if (r >= m - tol) {
    ap = std::max(r, m);
  } else {
    return kInf;
  }
  double hold = 0.0;
  if (ap > L.a) {
    ap = L.a;
    hold = std::max(0.0, (dv - (2.0 * L.a * L.a - b0 * b0 - b1 * b1) / (2.0 * L.j)) / L.a);
  }
  t[0] = std::max(0.0, (ap - b0) / L.j);
  t[1] = hold;
  t[2] = std::max(0.0, (ap - b1) / L.j);
  return t[0] + t[1] + t[2];
}

// The time-optimal change: 3 segment durations and jerks; returns its duration.
inline double change(double v0, double a0, double v1, double a1, const DofLimits& L, double* t, double* j) {
  double tp[3], tn[3];
  const double Tp = change_dir(1.0, v0, a0, v1, a1, L, tp);
  const double Tn = change_dir(-1.0, v0, a0, v1, a1, L, tn);
  const bool pos = Tp <= Tn;
  const double s = pos ? 1.0 : -1.0;
  const double* src = pos ? tp : tn;
  t[0] = src[0];
  t[1] = src[1];
  t[2] = src[2];
  j[0] = s * L.j;
  j[1] = 0.0;
  j[2] = -s * L.j;
  return pos ? Tp : Tn;
}

struct Shape {
  double t[7], j[7];
  double time;  // without cruise
  double dist;  // without cruise
};

struct Problem {
  double v0, a0, vf, af, dist;
  DofLimits L;
};

inline void shape(const Problem& P, double vp, Shape& S) {
  S.time = change(P.v0, P.a0, vp, 0.0, P.L, S.t, S.j) + change(vp, 0.0, P.vf, P.af, P.L, S.t + 4, S.j + 4);
  S.t[3] = 0.0;
  S.j[3] = 0.0;
  double p = 0.0, v = P.v0, a = P.a0;
  for (int k = 0; k < 3; ++k) integrate(S.t[k], S.j[k], p, v, a);
  for (int k = 4; k < 7; ++k) integrate(S.t[k], S.j[k], p, v, a);
  S.dist = p;
}

// The second family: one ramp from a0 to a1 (jerk +-J), then the time-optimal change to
// (vf, af). It holds the profiles whose acceleration never passes through zero (monotone
// velocity, e.g. jerk +J, -J, +J with a < 0 throughout), which the peak-velocity family cannot
// express. Its velocity is not bounded by construction: see within_velocity().
inline void shape2(const Problem& P, double a1, Shape& S) {
  const double t0 = std::abs(a1 - P.a0) / P.L.j;
  S.t[0] = t0;
  S.j[0] = a1 >= P.a0 ? P.L.j : -P.L.j;
  double p = 0.0, v = P.v0, a = P.a0;
  integrate(t0, S.j[0], p, v, a);
  for (int k = 1; k < 4; ++k) S.t[k] = S.j[k] = 0.0;
  S.time = t0 + change(v, a1, P.vf, P.af, P.L, S.t + 4, S.j + 4);
  a = a1;
  for (int k = 4; k < 7; ++k) integrate(S.t[k], S.j[k], p, v, a);
  S.dist = p;
}

// |v| <= vmax over the whole shape (checked at segment ends and where the acceleration crosses 0).
inline bool within_velocity(const Shape& S, const Problem& P) {
  const double lim = P.L.v * (1 + 1e-12);
  double p = 0.0, v = P.v0, a = P.a0;
  for (int k = 0; k < 7; ++k) {
    const double t = S.t[k], j = S.j[k];
    if (t <= 0) continue;
    if (j != 0.0) {
      const double tz = -a / j;
      if (tz > 0 && tz < t && std::abs(v + a * tz + 0.5 * j * tz * tz) > lim) return false;
    }
    integrate(t, j, p, v, a);
    if (std::abs(v) > lim) return false;
  }
  return true;
}

// Root of f on [a, b] given f(a), f(b) of opposite signs: Illinois regula falsi. Stops when
// |f| <= ftol or the bracket is below xtol. Returns the final iterate; `ok` tells whether the
// residual criterion was met.
template <class F>
double illinois(F&& f, double a, double b, double fa, double fb, double xtol, double ftol, bool& ok,
                int max_iter = 200) {
  ok = true;
  if (std::abs(fa) <= ftol) return a;
  if (std::abs(fb) <= ftol) return b;
  int side = 0;
  for (int it = 0; it < max_iter; ++it) {
    double m = (a * fb - b * fa) / (fb - fa);
    if (!(m > std::min(a, b) && m < std::max(a, b))) m = 0.5 * (a + b);
    const double fm = f(m);
    if (std::abs(fm) <= ftol) return m;
    if ((fm < 0) == (fa < 0)) {
      a = m;
      fa = fm;
      if (side == -1) fb *= 0.5;
      side = -1;
    } else {
      b = m;
      fb = fm;
      if (side == 1) fa *= 0.5;
      side = 1;
    }
    if (std::abs(b - a) <= xtol) break;
  }
  ok = false;
  return std::abs(fa) < std::abs(fb) ? a : b;
}

inline double dist_tol(const Problem& P) { return 1e-12 * (1.0 + std::abs(P.dist)); }

void write(const Shape& S, double tc, double p0, double v0, double a0, Profile& out) {
  for (int k = 0; k < 7; ++k) {
    out.t[k] = S.t[k];
    out.j[k] = S.j[k];
  }
  out.t[3] = tc;
  out.has_peak = true;
  out.finalize(p0, v0, a0);
}

bool valid_inputs(double p0, double v0, double a0, double pf, double vf, double af, const DofLimits& L) {
  return std::isfinite(p0) && std::isfinite(v0) && std::isfinite(a0) && std::isfinite(pf) && std::isfinite(vf) &&
         std::isfinite(af) && L.v > 0 && L.a > 0 && L.j > 0 && std::isfinite(L.v) && std::isfinite(L.a) &&
         std::isfinite(L.j) && std::abs(a0) <= L.a * (1 + 1e-9) + 1e-12 && std::abs(vf) <= L.v * (1 + 1e-12) &&
         std::abs(af) <= L.a * (1 + 1e-12);
}

// Minimum-time peak velocity and cruise time. D(vp) grows with vp except possibly between the
// two kinks where a change switches direction (vp = the velocity (v0, a0) settles at, and the
// velocity from which (vf, af) is reached by a single ramp), so the roots of D(vp) = dist are
// searched on the three intervals between -vmax, the kinks and +vmax, and the fastest of them
// and of the cruises at +-vmax is taken.
void optimal_peak(const Problem& P, double& vp, double& tc, Shape& S) {
  const double V = P.L.v;
  double k1 = std::clamp(P.v0 + P.a0 * std::abs(P.a0) / (2.0 * P.L.j), -V, V);
  double k2 = std::clamp(P.vf - P.af * std::abs(P.af) / (2.0 * P.L.j), -V, V);
  if (k1 > k2) std::swap(k1, k2);
  const double xs[4] = {-V, k1, k2, V};
  double fs[4];
  double best = kInf;
  auto f = [&](double x) { shape(P, x, S); return S.dist - P.dist; };
  fs[3] = f(V);
  if (fs[3] >= 0 ? fs[3] <= dist_tol(P) : true) {
    const double t = S.time + std::max(0.0, -fs[3]) / V;
    if (t < best) best = t, vp = V, tc = std::max(0.0, -fs[3]) / V;
  }
  fs[0] = f(-V);
  if (fs[0] <= 0 ? fs[0] >= -dist_tol(P) : true) {
    const double t = S.time + std::max(0.0, fs[0]) / V;
    if (t < best) best = t, vp = -V, tc = std::max(0.0, fs[0]) / V;
  }
  fs[1] = xs[1] > xs[0] ? f(xs[1]) : fs[0];
  fs[2] = xs[2] > xs[1] ? f(xs[2]) : fs[1];
  auto root = [&](double a, double b, double fa, double fb) {
    bool ok;
    const double r = illinois(f, a, b, fa, fb, 1e-15 * V, dist_tol(P), ok);
    shape(P, r, S);
    if (S.time < best) best = S.time, vp = r, tc = 0.0;
  };
  for (int k = 0; k < 3; ++k) {
    if (!(xs[k + 1] > xs[k])) continue;
    if ((fs[k] < 0) != (fs[k + 1] < 0)) {
      root(xs[k], xs[k + 1], fs[k], fs[k + 1]);
    } else if (k == 1) {  // between the kinks D may turn: two roots if the midpoint crosses
      const double xm = 0.5 * (xs[1] + xs[2]), fm = f(xm);
      if ((fm < 0) != (fs[1] < 0)) {
        root(xs[1], xm, fs[1], fm);
        root(xm, xs[2], fm, fs[2]);
      }
    }
  }
  if (best == kInf) {  // not expected: D is continuous and spans dist between the ends and cruises
    vp = fs[3] <= 0 ? V : -V;
    tc = 0.0;
  }
  shape(P, vp, S);
}

// The fastest second-family profile, if one can beat `best` (s): only when the acceleration
// can keep one sign (a0 and af not opposite, not both zero) and the distance fits a monotone
// velocity within `best`. Returns true and the shape if found.
bool second_family(const Problem& P, double best, Shape& out) {
  if (P.a0 * P.af < 0 || (P.a0 == 0 && P.af == 0)) return false;
  // The acceleration keeps the sign s, so the velocity moves monotonically from v0 to vf in
  // direction s, and the distance lies between v0 T and vf T for a duration T below `best`.
  const double s = P.a0 != 0 ? (P.a0 > 0 ? 1.0 : -1.0) : (P.af > 0 ? 1.0 : -1.0);
  if (s * (P.vf - P.v0) < 0) return false;
  if (P.dist > std::max(0.0, std::max(P.v0, P.vf)) * best * (1 + 1e-9) + 1e-15 ||
      P.dist < std::min(0.0, std::min(P.v0, P.vf)) * best * (1 + 1e-9) - 1e-15) {
    return false;
  }
  if (std::abs(P.dist) > std::max(std::abs(P.v0), std::abs(P.vf)) * best * (1 + 1e-9)) return false;
  const double A = P.L.a;
  Shape S;
  auto f = [&](double x) { shape2(P, x, S); return S.dist - P.dist; };
  constexpr int kSamples = 8;
  bool found = false;
  double xa = -A, fa = f(xa);
  for (int k = 1; k <= kSamples; ++k) {
    const double xb = -A + 2.0 * A * k / kSamples, fb = f(xb);
    if (fb == 0 || (fa < 0) != (fb < 0)) {
      bool ok;
      const double r = illinois(f, xa, xb, fa, fb, 1e-15 * A, dist_tol(P), ok);
      shape2(P, r, S);
      if (ok && S.time < best && within_velocity(S, P)) {
        best = S.time;
        out = S;
        found = true;
      }
    }
    xa = xb;
    fa = fb;
  }
  return found;
}

}  // namespace

void Profile::finalize(double p0, double v0, double a0) noexcept {
  double p = p0, v = v0, a = a0, time = 0.0;
  for (int k = 0; k < kSegments; ++k) {
    tb[k] = time;
    pb[k] = p;
    vb[k] = v;
    ab[k] = a;
    integrate(t[k], j[k], p, v, a);
    time += t[k];
  }
  tb[kSegments] = time;
  pb[kSegments] = p;
  vb[kSegments] = v;
  ab[kSegments] = a;
  duration = time;
}

void Profile::at(double time, double& p, double& v, double& a) const noexcept {
  if (!(time > 0.0)) {
    p = pb[0];
    v = vb[0];
    a = ab[0];
    return;
  }
  int k = 0;
  double jk = 0.0, dt;
  if (time >= duration) {  // after the end: constant final acceleration
    k = kSegments;
    dt = time - duration;
  } else {
    while (k < kSegments - 1 && time >= tb[k + 1]) ++k;
    jk = j[k];
    dt = time - tb[k];
  }
  p = pb[k];
  v = vb[k];
  a = ab[k];
  integrate(dt, jk, p, v, a);
}

int candidate_profiles(double p0, double v0, double a0, double pf, double vf, double af, const DofLimits& L,
                       Profile* out, int max_count) noexcept {
  if (!valid_inputs(p0, v0, a0, pf, vf, af, L) || max_count < 1) return 0;
  a0 = std::clamp(a0, -L.a, L.a);
  const Problem P{v0, a0, vf, af, pf - p0, L};
  Shape S;
  auto f = [&](double x) { shape(P, x, S); return S.dist - P.dist; };
  int count = 0;
  // Cruise at the limit that the distance needs beyond the reach of zero-cruise profiles.
  const double fhi = f(L.v);
  if (fhi <= 0) write(S, -fhi / L.v, p0, v0, a0, out[count++]);
  const double flo = f(-L.v);
  if (flo >= 0 && count < max_count) write(S, flo / L.v, p0, v0, a0, out[count++]);
  // Zero-cruise roots of D(vp) = dist: sample the peak velocity (including the kinks where a
  // change switches direction) and refine every sign change.
  constexpr int kSamples = 24;
  double xs[kSamples + 3];
  int nx = 0;
  for (int k = 0; k <= kSamples; ++k) xs[nx++] = -L.v + 2.0 * L.v * k / kSamples;
  xs[nx++] = std::clamp(v0 + a0 * std::abs(a0) / (2.0 * L.j), -L.v, L.v);
  xs[nx++] = std::clamp(vf - af * std::abs(af) / (2.0 * L.j), -L.v, L.v);
  std::sort(xs, xs + nx);
  double xa = xs[0], fa = flo;
  for (int k = 1; k < nx && count < max_count; ++k) {
    const double xb = xs[k];
    if (xb <= xa) continue;
    const double fb = f(xb);
    if (fb == 0 || (fa < 0) != (fb < 0)) {
      bool ok;
      const double r = illinois(f, xa, xb, fa, fb, 1e-15 * L.v, dist_tol(P), ok);
      shape(P, r, S);
      write(S, 0.0, p0, v0, a0, out[count++]);
    }
    xa = xb;
    fa = fb;
  }
  std::sort(out, out + count, [](const Profile& x, const Profile& y) { return x.duration < y.duration; });
  return count;
}

Status min_time_profile(double p0, double v0, double a0, double pf, double vf, double af, const DofLimits& L,
                        Profile& out) noexcept {
  if (!valid_inputs(p0, v0, a0, pf, vf, af, L)) return Status::InvalidInput;
  a0 = std::clamp(a0, -L.a, L.a);
  const Problem P{v0, a0, vf, af, pf - p0, L};
  double vp, tc;
  Shape S;
  optimal_peak(P, vp, tc, S);
  Shape S2;
  if (second_family(P, S.time + tc, S2)) {
    write(S2, 0.0, p0, v0, a0, out);
    out.has_peak = false;  // vb[3] is not a peak velocity
    return Status::Ok;
  }
  write(S, tc, p0, v0, a0, out);
  out.has_peak = true;
  return Status::Ok;
}

Status fixed_time_profile(double p0, double v0, double a0, double pf, double vf, double af, const DofLimits& L,
                          double T, Profile& out, const Profile* min_time) noexcept {
  if (!valid_inputs(p0, v0, a0, pf, vf, af, L) || !std::isfinite(T)) return Status::InvalidInput;
  a0 = std::clamp(a0, -L.a, L.a);
  const Problem P{v0, a0, vf, af, pf - p0, L};
  Shape S;
  double vopt, tcopt, tmin;
  if (min_time && min_time->has_peak) {  // reuse the minimum-time solution: its peak velocity and duration
    vopt = min_time->vb[3];
    tmin = min_time->duration;
  } else {
    optimal_peak(P, vopt, tcopt, S);
    tmin = S.time + tcopt;
  }
  if (T < tmin - 1e-12) return Status::Infeasible;
  shape(P, vopt, S);
  if (T <= tmin + 1e-12) {
    write(S, std::max(0.0, T - S.time), p0, v0, a0, out);
    return Status::Ok;
  }
  // With cruise tc = T - time(vp) the distance covered is g(vp) + dist, where
  //   g(vp) = D(vp) + vp (T - time(vp)) - dist.
  // At the optimal peak vopt, g = vopt (T - tmin) has the sign of vopt; at vp = 0 it is
  // D(0) - dist, of the other sign (D grows with vp and D(vopt) <= dist for vopt > 0). Every
  // root between 0 and vopt has D(vp) <= dist, hence a non-negative cruise: a valid profile.
  if (std::abs(vopt) <= 1e-15 * L.v) {  // the optimum rests at zero velocity: cruise there
    shape(P, 0.0, S);
    write(S, std::max(0.0, T - S.time), p0, v0, a0, out);
    return std::abs(out.duration - T) <= 1e-9 ? Status::Ok : Status::Infeasible;
  }
  const double g0 = vopt * (T - tmin);
  auto g = [&](double vp) {
    shape(P, vp, S);
    return S.dist + vp * (T - S.time) - P.dist;
  };
  const double gz = g(0.0);
  if ((gz < 0) != (g0 < 0) || std::abs(gz) <= dist_tol(P)) {
    bool ok;
    const double vp = illinois(g, 0.0, vopt, gz, g0, 1e-15 * L.v, dist_tol(P), ok);
    const double gv = g(vp);
    if (S.time <= T + 1e-12 && std::abs(gv) <= 1e3 * dist_tol(P)) {
      write(S, std::max(0.0, T - S.time), p0, v0, a0, out);
      return Status::Ok;
    }
  }
  // D is not monotone between 0 and vopt: search from vopt over the whole side towards the
  // sign change; peak velocities whose zero-cruise time exceeds T are infeasible and count as
  // "past the root", so the iteration ends at a root or at the feasibility edge (then T lies
  // in a duration gap of this family: Infeasible, and the caller looks further).
  const double dir = g0 < 0 ? 1.0 : -1.0;
  const double sentinel = dir * (1.0 + std::abs(P.dist) + L.v * T);
  auto gs = [&](double vp) {
    shape(P, vp, S);
    if (S.time > T) return sentinel;
    return S.dist + vp * (T - S.time) - P.dist;
  };
  const double end = dir * L.v;
  const double gend = gs(end);
  if ((gend < 0) == (g0 < 0) && std::abs(gend) > dist_tol(P)) return Status::Infeasible;
  bool ok;
  const double vp = illinois(gs, vopt, end, g0, gend, 1e-15 * L.v, dist_tol(P), ok);
  const double gv = gs(vp);
  if (S.time > T + 1e-12 || std::abs(gv) > 1e3 * dist_tol(P)) return Status::Infeasible;
  write(S, std::max(0.0, T - S.time), p0, v0, a0, out);
  return Status::Ok;
}

}  // namespace graspvla::trajectory
