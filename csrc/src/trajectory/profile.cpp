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
  const double tol = 1e-10 * L.a;
  if (q < -tol * L.a) return kInf;
  const double r = std::sqrt(std::max(0.0, q));
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

// Root of f on [a, b] given f(a), f(b) of opposite signs: Illinois regula falsi. Stops when
// |f| <= ftol or the bracket is below xtol. Returns the final iterate; `ok` tells whether the
// residual criterion was met.
template <class F>
double illinois(F&& f, double a, double b, double fa, double fb, double xtol, double ftol, bool& ok) {
  ok = true;
  if (std::abs(fa) <= ftol) return a;
  if (std::abs(fb) <= ftol) return b;
  int side = 0;
  for (int it = 0; it < 200; ++it) {
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

inline double dist_tol(const Problem& P) { return 1e-13 * (1.0 + std::abs(P.dist)); }

void write(const Shape& S, double tc, double p0, double v0, double a0, Profile& out) {
  for (int k = 0; k < 7; ++k) {
    out.t[k] = S.t[k];
    out.j[k] = S.j[k];
  }
  out.t[3] = tc;
  out.finalize(p0, v0, a0);
}

bool valid_inputs(double p0, double v0, double a0, double pf, double vf, double af, const DofLimits& L) {
  return std::isfinite(p0) && std::isfinite(v0) && std::isfinite(a0) && std::isfinite(pf) && std::isfinite(vf) &&
         std::isfinite(af) && L.v > 0 && L.a > 0 && L.j > 0 && std::isfinite(L.v) && std::isfinite(L.a) &&
         std::isfinite(L.j) && std::abs(a0) <= L.a * (1 + 1e-9) + 1e-12 && std::abs(vf) <= L.v * (1 + 1e-12) &&
         std::abs(af) <= L.a * (1 + 1e-12);
}

// Minimum-time peak velocity and cruise time.
void optimal_peak(const Problem& P, double& vp, double& tc, Shape& S) {
  Shape hi;
  shape(P, P.L.v, hi);
  if (P.dist >= hi.dist) {
    vp = P.L.v;
    tc = (P.dist - hi.dist) / P.L.v;
    S = hi;
    return;
  }
  shape(P, -P.L.v, S);
  if (P.dist <= S.dist) {
    vp = -P.L.v;
    tc = (P.dist - S.dist) / -P.L.v;
    return;
  }
  bool ok;
  vp = illinois([&](double x) { shape(P, x, S); return S.dist - P.dist; }, -P.L.v, P.L.v, S.dist - P.dist,
                hi.dist - P.dist, 1e-15 * P.L.v, dist_tol(P), ok);
  shape(P, vp, S);
  tc = 0.0;
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

Status min_time_profile(double p0, double v0, double a0, double pf, double vf, double af, const DofLimits& L,
                        Profile& out) noexcept {
  if (!valid_inputs(p0, v0, a0, pf, vf, af, L)) return Status::InvalidInput;
  a0 = std::clamp(a0, -L.a, L.a);
  const Problem P{v0, a0, vf, af, pf - p0, L};
  double vp, tc;
  Shape S;
  optimal_peak(P, vp, tc, S);
  write(S, tc, p0, v0, a0, out);
  return Status::Ok;
}

Status fixed_time_profile(double p0, double v0, double a0, double pf, double vf, double af, const DofLimits& L,
                          double T, Profile& out, const Profile* min_time) noexcept {
  if (!valid_inputs(p0, v0, a0, pf, vf, af, L) || !std::isfinite(T)) return Status::InvalidInput;
  a0 = std::clamp(a0, -L.a, L.a);
  const Problem P{v0, a0, vf, af, pf - p0, L};
  Shape S;
  double vopt, tcopt, tmin;
  if (min_time) {  // reuse the minimum-time solution: its peak velocity and duration
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
  // With cruise tc = T - time(vp) >= 0 the distance is g(vp) + dist. Search from vopt towards
  // the side where g changes sign; peak velocities whose zero-cruise time already exceeds T are
  // infeasible and count as "past the root" (sentinel sign), so the iteration converges either
  // to a root or to the feasibility edge (then T lies in a duration gap: Infeasible).
  const double g0 = S.dist + vopt * (T - S.time) - P.dist;
  if (std::abs(g0) <= dist_tol(P)) {
    write(S, T - S.time, p0, v0, a0, out);
    return Status::Ok;
  }
  const double dir = g0 < 0 ? 1.0 : -1.0;  // g grows with vp (more peak velocity, more distance)
  const double sentinel = dir * (1.0 + std::abs(P.dist) + L.v * T);
  auto g = [&](double vp) {
    shape(P, vp, S);
    if (S.time > T) return sentinel;
    return S.dist + vp * (T - S.time) - P.dist;
  };
  const double end = dir * L.v;
  const double gend = g(end);
  if ((gend < 0) == (g0 < 0) && std::abs(gend) > dist_tol(P)) return Status::Infeasible;
  bool ok;
  const double vp = illinois(g, vopt, end, g0, gend, 1e-15 * L.v, dist_tol(P), ok);
  const double gv = g(vp);
  if (S.time > T || std::abs(gv) > 1e3 * dist_tol(P)) return Status::Infeasible;
  write(S, std::max(0.0, T - S.time), p0, v0, a0, out);
  return Status::Ok;
}

}  // namespace graspvla::trajectory
