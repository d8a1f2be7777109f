#include "graspvla/trajectory/profile.hpp"

#include <algorithm>
#include <cmath>

namespace graspvla::trajectory {
namespace {

inline void integrate(double t, double j, double& p, double& v, double& a) {
  p += t * (v + t * (0.5 * a + t * j / 6.0));
  v += t * (a + 0.5 * j * t);
  a += j * t;
}

// Time-optimal change from (v0, a0) to (v1, 0): jerk +-j to a peak acceleration, hold, jerk
// back to zero. Writes 3 segments.
void velocity_change(double v0, double a0, double v1, const DofLimits& L, double* t, double* j) {
  const double stop_v = v0 + a0 * std::abs(a0) / (2.0 * L.j);  // velocity if a is ramped to 0 now
  const double s = v1 >= stop_v ? 1.0 : -1.0;
  const double a0s = s * a0;
  const double dv = s * (v1 - v0);
  double ap2 = L.j * dv + 0.5 * a0s * a0s;
  double ap = std::sqrt(std::max(0.0, ap2));
  double hold = 0.0;
  if (ap > L.a) {
    ap = L.a;
    hold = (dv - (2.0 * L.a * L.a - a0s * a0s) / (2.0 * L.j)) / L.a;
    hold = std::max(0.0, hold);
  }
  t[0] = std::max(0.0, (ap - a0s) / L.j);
  t[1] = hold;
  t[2] = ap / L.j;
  j[0] = s * L.j;
  j[1] = 0.0;
  j[2] = -s * L.j;
}

// Root of f on [a, b] where f(a) and f(b) have opposite signs (or one is zero): Illinois
// regula falsi, which converges superlinearly on these smooth monotone pieces, with a
// bisection step whenever it stalls. Returns the end of the final bracket on the f <= 0 side
// when `low_side`, else the other end, so callers can keep feasibility.
template <class F>
double solve_bracketed(F&& f, double a, double b, double fa, double fb, double tol) {
  if (fa == 0) return a;
  if (fb == 0) return b;
  int side = 0;
  for (int it = 0; it < 100 && std::abs(b - a) > tol; ++it) {
    double m = (a * fb - b * fa) / (fb - fa);
    if (!(m > std::min(a, b) && m < std::max(a, b)) || it % 8 == 7) m = 0.5 * (a + b);
    const double fm = f(m);
    if (fm == 0) return m;
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
  }
  return 0.5 * (a + b);
}

struct Eval {
  double dist, time;  // with zero cruise
};

// Builds the 7-segment profile for peak velocity vp and cruise time tc (segments 0-2, 3, 4-6).
Eval build(double v0, double a0, double vp, double vf, double tc, const DofLimits& L, Profile& P) {
  velocity_change(v0, a0, vp, L, &P.t[0], &P.j[0]);
  P.t[3] = tc;
  P.j[3] = 0.0;
  velocity_change(vp, 0.0, vf, L, &P.t[4], &P.j[4]);
  double p = 0, v = v0, a = a0, time = 0;
  for (int k = 0; k < Profile::kSegments; ++k) {
    if (k == 3) continue;
    integrate(P.t[k], P.j[k], p, v, a);
    time += P.t[k];
  }
  return {p, time};
}

void finish(double p0, double v0, double a0, Profile& P) {
  P.p0 = p0;
  P.v0 = v0;
  P.a0 = a0;
  P.duration = 0;
  for (double t : P.t) P.duration += t;
}

bool valid_inputs(double p0, double v0, double a0, double pf, double vf, const DofLimits& L) {
  return std::isfinite(p0) && std::isfinite(v0) && std::isfinite(a0) && std::isfinite(pf) && std::isfinite(vf) &&
         L.v > 0 && L.a > 0 && L.j > 0 && std::isfinite(L.v) && std::isfinite(L.a) && std::isfinite(L.j) &&
         std::abs(a0) <= L.a * (1 + 1e-9) + 1e-12 && std::abs(vf) <= L.v * (1 + 1e-12);
}

// Peak velocity of the minimum-time profile, and its cruise time.
void optimal_peak(double v0, double a0, double dist, double vf, const DofLimits& L, double& vp, double& tc) {
  Profile tmp;
  const Eval hi = build(v0, a0, L.v, vf, 0.0, L, tmp);
  if (dist >= hi.dist) {
    vp = L.v;
    tc = (dist - hi.dist) / L.v;
    return;
  }
  const Eval lo = build(v0, a0, -L.v, vf, 0.0, L, tmp);
  if (dist <= lo.dist) {
    vp = -L.v;
    tc = (dist - lo.dist) / -L.v;
    return;
  }
  // distance grows with the peak velocity
  vp = solve_bracketed([&](double x) { return build(v0, a0, x, vf, 0.0, L, tmp).dist - dist; }, -L.v, L.v,
                       lo.dist - dist, hi.dist - dist, 1e-14 * L.v);
  tc = 0.0;
}

}  // namespace

void Profile::at(double time, double& p, double& v, double& a) const noexcept {
  p = p0;
  v = v0;
  a = a0;
  double rest = std::max(0.0, time);
  for (int k = 0; k < kSegments && rest > 0; ++k) {
    const double dt = std::min(rest, t[k]);
    integrate(dt, j[k], p, v, a);
    rest -= dt;
  }
  if (rest > 0) {  // after the end: move on at the final velocity
    p += v * rest;
    a = 0.0;
  }
}

Status min_time_profile(double p0, double v0, double a0, double pf, double vf, const DofLimits& L,
                        Profile& out) noexcept {
  if (!valid_inputs(p0, v0, a0, pf, vf, L)) return Status::InvalidInput;
  a0 = std::clamp(a0, -L.a, L.a);
  double vp, tc;
  optimal_peak(v0, a0, pf - p0, vf, L, vp, tc);
  build(v0, a0, vp, vf, tc, L, out);
  finish(p0, v0, a0, out);
  return Status::Ok;
}

Status fixed_time_profile(double p0, double v0, double a0, double pf, double vf, const DofLimits& L,
                          double T, Profile& out) noexcept {
  if (!valid_inputs(p0, v0, a0, pf, vf, L) || !std::isfinite(T)) return Status::InvalidInput;
  a0 = std::clamp(a0, -L.a, L.a);
  const double dist = pf - p0;
  double vopt, tcopt;
  optimal_peak(v0, a0, dist, vf, L, vopt, tcopt);
  Profile tmp;
  const double tmin = build(v0, a0, vopt, vf, 0.0, L, tmp).time + tcopt;
  if (T < tmin - 1e-12) return Status::Infeasible;
  if (T <= tmin + 1e-12) {
    build(v0, a0, vopt, vf, tcopt, L, out);
    finish(p0, v0, a0, out);
    return Status::Ok;
  }
  // Peak velocities reachable within T form an interval around vopt. On it,
  // g(vp) = D(vp) + vp (T - tA - tC) - dist is negative at the low end and positive at the high
  // end, so bisection on the bracket containing the root finds a profile of duration T.
  auto moves = [&](double vp) { return build(v0, a0, vp, vf, 0.0, L, tmp).time <= T; };
  auto g = [&](double vp) {
    const Eval e = build(v0, a0, vp, vf, 0.0, L, tmp);
    return e.dist + vp * (T - e.time) - dist;
  };
  auto slack = [&](double vp) { return build(v0, a0, vp, vf, 0.0, L, tmp).time - T; };
  auto edge = [&](double inside, double outside) {  // validity boundary between the two
    if (moves(outside)) return outside;
    double x = solve_bracketed(slack, inside, outside, slack(inside), slack(outside), 1e-15 * L.v);
    // step back inside if the solver stopped just outside
    for (int k = 0; k < 60 && !moves(x); ++k) x = inside + (x - inside) * (1 - 1e-12 * (1 << std::min(k, 40)));
    return moves(x) ? x : inside;
  };
  double a, b;
  if (g(vopt) > 0) {
    a = edge(vopt, -L.v);
    b = vopt;
  } else {
    a = vopt;
    b = edge(vopt, L.v);
  }
  const double vp = solve_bracketed(g, a, b, g(a), g(b), 1e-15 * L.v);
  const Eval e = build(v0, a0, vp, vf, 0.0, L, tmp);
  const double tc = std::max(0.0, T - e.time);
  build(v0, a0, vp, vf, tc, L, out);
  finish(p0, v0, a0, out);
  // Verify the end state; the bisection can only fail on degenerate inputs.
  double p, v, acc;
  out.at(out.duration, p, v, acc);
  if (std::abs(p - pf) > 1e-8 * std::max(1.0, std::abs(dist)) || std::abs(out.duration - T) > 1e-9) {
    return Status::Infeasible;
  }
  return Status::Ok;
}

}  // namespace graspvla::trajectory
