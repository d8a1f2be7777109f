#include "graspvla/trajectory/profile.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace graspvla::trajectory {
namespace {

inline void integrate(double t, double j, double& p, double& v, double& a) {
  p += t * (v + t * (0.5 * a + t * j / 6.0));
  v += t * (a + 0.5 * j * t);
  a += j * t;
}

// One direction of the two-ramp acceleration change from (v0, a0) to (v1, a1): with s = +1 the
// acceleration ramps up (jerk +J) to a peak, holds at the limit if needed, and ramps down to a1;
// s = -1 mirrors it. Returns the duration (infinity if this direction cannot do it).
double change_dir(double s, double v0, double a0, double v1, double a1, const DofLimits& L, double* t, double* j) {
  const double b0 = s * a0, b1 = s * a1, dv = s * (v1 - v0);
  const double m = std::max(b0, b1);
  const double q = L.j * dv + 0.5 * (b0 * b0 + b1 * b1);
  const double tol = 1e-10 * L.a;
  if (q < -tol * L.a) return std::numeric_limits<double>::infinity();
  const double r = std::sqrt(std::max(0.0, q));
  double ap;
  if (-r >= m - tol) {
    ap = std::max(-r, m);  // the smaller peak is faster
  } else if (r >= m - tol) {
    ap = std::max(r, m);
  } else {
    return std::numeric_limits<double>::infinity();
  }
  double hold = 0.0;
  if (ap > L.a) {
    ap = L.a;
    hold = std::max(0.0, (dv - (2.0 * L.a * L.a - b0 * b0 - b1 * b1) / (2.0 * L.j)) / L.a);
  }
  t[0] = std::max(0.0, (ap - b0) / L.j);
  t[1] = hold;
  t[2] = std::max(0.0, (ap - b1) / L.j);
  j[0] = s * L.j;
  j[1] = 0.0;
  j[2] = -s * L.j;
  return t[0] + t[1] + t[2];
}

// Time-optimal two-ramp change from (v0, a0) to (v1, a1). Writes 3 segments.
void velocity_change(double v0, double a0, double v1, double a1, const DofLimits& L, double* t, double* j) {
  double tp[3], jp[3], tn[3], jn[3];
  const double Tp = change_dir(1.0, v0, a0, v1, a1, L, tp, jp);
  const double Tn = change_dir(-1.0, v0, a0, v1, a1, L, tn, jn);
  const bool pos = Tp <= Tn;
  for (int k = 0; k < 3; ++k) {
    t[k] = pos ? tp[k] : tn[k];
    j[k] = pos ? jp[k] : jn[k];
  }
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
Eval build(double v0, double a0, double vp, double vf, double af, double tc, const DofLimits& L, Profile& P) {
  velocity_change(v0, a0, vp, 0.0, L, &P.t[0], &P.j[0]);
  P.t[3] = tc;
  P.j[3] = 0.0;
  velocity_change(vp, 0.0, vf, af, L, &P.t[4], &P.j[4]);
  double p = 0, v = v0, a = a0, time = 0;
  for (int k = 0; k < Profile::kSegments; ++k) {
    if (k == 3) continue;
    integrate(P.t[k], P.j[k], p, v, a);
    time += P.t[k];
  }
  return {p, time};
}

void finish(double p0, double v0, double a0, Profile& P) { P.finalize(p0, v0, a0); }

bool valid_inputs(double p0, double v0, double a0, double pf, double vf, double af, const DofLimits& L) {
  return std::isfinite(p0) && std::isfinite(v0) && std::isfinite(a0) && std::isfinite(pf) && std::isfinite(vf) &&
         std::isfinite(af) && std::abs(af) <= L.a * (1 + 1e-12) &&
         L.v > 0 && L.a > 0 && L.j > 0 && std::isfinite(L.v) && std::isfinite(L.a) && std::isfinite(L.j) &&
         std::abs(a0) <= L.a * (1 + 1e-9) + 1e-12 && std::abs(vf) <= L.v * (1 + 1e-12);
}

// Peak velocity of the minimum-time profile, and its cruise time.
void optimal_peak(double v0, double a0, double dist, double vf, double af, const DofLimits& L, double& vp, double& tc) {
  Profile tmp;
  const Eval hi = build(v0, a0, L.v, vf, af, 0.0, L, tmp);
  if (dist >= hi.dist) {
    vp = L.v;
    tc = (dist - hi.dist) / L.v;
    return;
  }
  const Eval lo = build(v0, a0, -L.v, vf, af, 0.0, L, tmp);
  if (dist <= lo.dist) {
    vp = -L.v;
    tc = (dist - lo.dist) / -L.v;
    return;
  }
  // distance grows with the peak velocity
  vp = solve_bracketed([&](double x) { return build(v0, a0, x, vf, af, 0.0, L, tmp).dist - dist; }, -L.v, L.v,
                       lo.dist - dist, hi.dist - dist, 1e-14 * L.v);
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
  double vp, tc;
  optimal_peak(v0, a0, pf - p0, vf, af, L, vp, tc);
  build(v0, a0, vp, vf, af, tc, L, out);
  finish(p0, v0, a0, out);
  return Status::Ok;
}

Status fixed_time_profile(double p0, double v0, double a0, double pf, double vf, double af, const DofLimits& L,
                          double T, Profile& out) noexcept {
  if (!valid_inputs(p0, v0, a0, pf, vf, af, L) || !std::isfinite(T)) return Status::InvalidInput;
  a0 = std::clamp(a0, -L.a, L.a);
  const double dist = pf - p0;
  double vopt, tcopt;
  optimal_peak(v0, a0, dist, vf, af, L, vopt, tcopt);
  Profile tmp;
  const double tmin = build(v0, a0, vopt, vf, af, 0.0, L, tmp).time + tcopt;
  if (T < tmin - 1e-12) return Status::Infeasible;
  if (T <= tmin + 1e-12) {
    build(v0, a0, vopt, vf, af, tcopt, L, out);
    finish(p0, v0, a0, out);
    return Status::Ok;
  }
  // Peak velocities reachable within T form an interval around vopt. On it,
  // g(vp) = D(vp) + vp (T - tA - tC) - dist is negative at the low end and positive at the high
  // end, so bisection on the bracket containing the root finds a profile of duration T.
  auto moves = [&](double vp) { return build(v0, a0, vp, vf, af, 0.0, L, tmp).time <= T; };
  auto g = [&](double vp) {
    const Eval e = build(v0, a0, vp, vf, af, 0.0, L, tmp);
    return e.dist + vp * (T - e.time) - dist;
  };
  auto slack = [&](double vp) { return build(v0, a0, vp, vf, af, 0.0, L, tmp).time - T; };
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
  const Eval e = build(v0, a0, vp, vf, af, 0.0, L, tmp);
  const double tc = std::max(0.0, T - e.time);
  build(v0, a0, vp, vf, af, tc, L, out);
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
