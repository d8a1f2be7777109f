"""Motion planning: graspvla (C++ RRT-Connect + shortcut + smoothing) vs OMPL's RRT-Connect on the
same problems in one run. OMPL is given OUR collision checker through a Python state-validity
callback (world.in_collision; ~2-5 us of C++ plus Python call overhead per state) and a motion
validator at the same resolution; its path is simplified with OMPL's PathSimplifier and then
smoothed by the same graspvla.trajectory kernel (no collision re-verification on the OMPL side).

Problems: table-top (table + 5-20 boxes, goal = a collision-free pre-grasp configuration) and
MotionBenchMaker-style table / shelf / bin scenes built from boxes.
VAMP (Thomason et al., 2024) reports median planning times of tens to hundreds of microseconds for
the Panda on MotionBenchMaker problems (SIMD, AVX2); quoted for context, not run here.

    python benchmarks/bench_planning.py [--quick]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from graspvla.planning import PlannerConfig, make_world, plan
from graspvla.robot import Robot
from graspvla.trajectory import smooth_path

robot = Robot("fr3")
HOME = np.array([0, -np.pi / 4, 0, -3 * np.pi / 4, 0, np.pi / 2, np.pi / 4])


def pose(p):
    T = np.eye(4)
    T[:3, 3] = p
    return T


def table_top(rng):
    w = make_world(robot)
    w.add_box(np.array([0.4, 0.6, 0.02]), pose([0.5, 0, -0.02]))
    for _ in range(rng.integers(5, 21)):
        h = rng.uniform(0.02, 0.05, 3) * [1, 1, 2]
        w.add_box(h, pose([rng.uniform(0.3, 0.75), rng.uniform(-0.45, 0.45), h[2]]))
    return w


def shelf(rng):
    w = make_world(robot)
    x = rng.uniform(0.6, 0.8)
    for z in (0.0, 0.35, 0.7):
        w.add_box(np.array([0.15, 0.4, 0.01]), pose([x, 0, z]))
    for y in (-0.4, 0.4):
        w.add_box(np.array([0.15, 0.01, 0.4]), pose([x, y, 0.35]))
    w.add_box(np.array([0.01, 0.4, 0.4]), pose([x + 0.15, 0, 0.35]))
    return w


def bin_scene(rng):
    w = make_world(robot)
    c = np.array([rng.uniform(0.45, 0.6), rng.uniform(-0.3, 0.3), 0.0])
    w.add_box(np.array([0.2, 0.25, 0.01]), pose(c))
    for dx, dy, h in ((0.2, 0, [0.01, 0.25, 0.1]), (-0.2, 0, [0.01, 0.25, 0.1]), (0, 0.25, [0.2, 0.01, 0.1]), (0, -0.25, [0.2, 0.01, 0.1])):
        w.add_box(np.array(h), pose(c + [dx, dy, 0.1]))
    w.add_box(np.array([0.6, 0.8, 0.02]), pose([0.4, 0, -0.03]))
    return w


def table_scene(rng):
    w = make_world(robot)
    w.add_box(np.array([0.3, 0.5, 0.02]), pose([0.55, 0, 0.2]))
    for y in (-0.45, 0.45):
        w.add_box(np.array([0.3, 0.02, 0.11]), pose([0.55, y, 0.09]))
    return w


def goal_for(w, rng, region):
    """A collision-free configuration whose TCP is in `region` (lo, hi) pointing down-ish."""
    for _ in range(20000):
        q = robot.random_configurations(1, rng)[0]
        p = robot.fk(q, robot_frame_tcp)[:3, 3]
        if np.all(p >= region[0]) and np.all(p <= region[1]) and not w.in_collision(q):
            return q
    return None


from graspvla.robot import Frame  # noqa: E402

robot_frame_tcp = Frame.TCP

FAMILIES = {
    "table-top": (table_top, ([0.3, -0.45, 0.12], [0.75, 0.45, 0.3])),
    "shelf": (shelf, ([0.5, -0.35, 0.05], [0.75, 0.35, 0.6])),
    "bin": (bin_scene, ([0.3, -0.5, 0.02], [0.75, 0.5, 0.25])),
    "table (under)": (table_scene, ([0.3, -0.4, 0.02], [0.8, 0.4, 0.15])),
}


def ompl_solve(w, start, goal, time_limit, resolution):
    from ompl import base as ob
    from ompl import geometric as og

    try:
        from ompl import util as ou

        ou.setLogLevel(ou.LOG_WARN)
    except (ImportError, AttributeError):
        pass

    space = ob.RealVectorStateSpace(7)
    b = ob.RealVectorBounds(7)
    for i in range(7):
        b.setLow(i, float(robot.q_min[i]))
        b.setHigh(i, float(robot.q_max[i]))
    space.setBounds(b)
    ss = og.SimpleSetup(space)
    buf = np.zeros(7)

    def valid(s):
        for i in range(7):
            buf[i] = s[i]
        return not w.in_collision(buf)

    ss.setStateValidityChecker(valid)
    extent = space.getMaximumExtent()
    # OMPL's resolution is a fraction of the space extent (L2); match our max-norm step approximately
    ss.getSpaceInformation().setStateValidityCheckingResolution(resolution / extent)
    s, g = space.allocState(), space.allocState()
    for i in range(7):
        s[i] = float(start[i])
        g[i] = float(goal[i])
    ss.setStartAndGoalStates(s, g)
    planner = og.RRTConnect(ss.getSpaceInformation())
    planner.setRange(0.6)
    ss.setPlanner(planner)
    t0 = time.perf_counter()
    solved = ss.solve(time_limit)
    t_plan = time.perf_counter() - t0
    if not solved or not ss.haveExactSolutionPath():
        return None, t_plan
    ss.simplifySolution(1.0)
    t_total = time.perf_counter() - t0
    path = ss.getSolutionPath()
    P = np.array([[path.getState(k)[i] for i in range(7)] for k in range(path.getStateCount())])
    return P, t_total


def length(P):
    return float(np.linalg.norm(np.diff(P, axis=0), axis=1).sum())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    n = 4 if args.quick else 25
    rows = []
    try:
        import ompl  # noqa: F401
        have_ompl = True
    except ImportError:
        have_ompl = False
    for name, (make, region) in FAMILIES.items():
        rng = np.random.default_rng(0)
        ours, peer = [], []
        for k in range(n):
            w = make(rng)
            if w.in_collision(HOME):
                continue
            goal = goal_for(w, rng, region)
            if goal is None:
                continue
            t0 = time.perf_counter()
            r = plan(w, HOME, goal, PlannerConfig(seed=k, time_limit=5.0, smooth=False))
            t_plan = time.perf_counter() - t0
            rs = plan(w, HOME, goal, PlannerConfig(seed=k, time_limit=5.0))
            ours.append((r.success, t_plan, length(r.path) if r.success else np.nan,
                         rs.trajectory.duration if rs.success else np.nan))
            if have_ompl:
                P, t = ompl_solve(w, HOME, goal, 5.0, 0.01)
                dur = smooth_path(P).duration if P is not None else np.nan
                peer.append((P is not None, t, length(P) if P is not None else np.nan, dur))
        for who, res in (("graspvla", ours), ("ompl RRTConnect", peer)):
            if not res:
                continue
            a = np.array(res, dtype=float)
            ok = a[:, 0] > 0
            rows.append((name, who, len(a), ok.mean(), np.median(a[ok, 1]) * 1e3 if ok.any() else np.nan,
                         np.percentile(a[ok, 1], 95) * 1e3 if ok.any() else np.nan, np.nanmedian(a[:, 2]),
                         np.nanmedian(a[:, 3])))
    print(f"{'problem':15s} {'planner':16s} {'n':>3s} {'success':>7s} {'median ms':>10s} {'p95 ms':>9s} "
          f"{'path len':>9s} {'traj s':>7s}")
    for r in rows:
        print(f"{r[0]:15s} {r[1]:16s} {r[2]:3d} {r[3]:7.2f} {r[4]:10.3f} {r[5]:9.3f} {r[6]:9.3f} {r[7]:7.3f}")
    by = {(r[0], r[1]): r for r in rows}
    print("\nratio (OMPL median time / ours):")
    for name in FAMILIES:
        if (name, "graspvla") in by and (name, "ompl RRTConnect") in by:
            print(f"  {name:15s} {by[(name, 'ompl RRTConnect')][4] / by[(name, 'graspvla')][4]:8.1f}x")
    print("\nTimes: ours = RRT-Connect + shortcutting (C++); OMPL = RRT-Connect + simplifySolution with our "
          "checker via a Python callback.\nVAMP (published, Panda, MotionBenchMaker table/shelf/bin, AVX2): "
          "median planning times of tens to hundreds of microseconds (not run: its build downloads dependencies).")


if __name__ == "__main__":
    main()
