"""Calibrated cameras (graspvla.geometry.calibration) and the policy features built on them:
rays and projections against a pinhole model, triangulation of known points, the multi-view
vote that outvotes a view pointing at another object, generate's given / located position and
grasp-token bias, the orientation prior and the per-stream target fusion."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import torch

sys.path.insert(0, str(Path(__file__).parent))
from common import model_and_batch  # noqa: E402

from graspvla.errors import InvalidInputError  # noqa: E402
from graspvla.model import GraspVLA, Normalizer, generate  # noqa: E402
from graspvla.geometry.calibration import CameraCalibration, locate_target, triangulate  # noqa: E402
from graspvla.model.policy import GraspVLAPolicy, Observation  # noqa: E402


def _look_at(eye, target, up=(0.0, 0.0, 1.0)) -> np.ndarray:
    """Camera-to-base pose, OpenCV axes (z forward, x right, y down), at ``eye`` looking at ``target``."""
    z = np.asarray(target, float) - np.asarray(eye, float)
    z /= np.linalg.norm(z)
    x = np.cross(z, up)
    x /= np.linalg.norm(x)
    y = np.cross(z, x)
    T = np.eye(4)
    T[:3, :3] = np.column_stack([x, y, z])
    T[:3, 3] = eye
    return T


def _cameras(size: int = 224) -> tuple[CameraCalibration, CameraCalibration]:
    f = 0.5 * size / np.tan(np.deg2rad(25.0))
    K = np.array([[f, 0, size / 2], [0, f, size / 2], [0, 0, 1.0]])
    front = CameraCalibration(K, _look_at([1.2, 0.0, 0.6], [0.5, 0.0, 0.05]), (size, size))
    side = CameraCalibration(K, _look_at([0.5, -0.8, 0.5], [0.5, 0.0, 0.05]), (size, size))
    return front, side


def test_ray_and_projection_against_the_pinhole_model() -> None:
    front, _ = _cameras()
    P = np.array([[0.5, 0.1, 0.05], [0.4, -0.2, 0.2]])
    uv = front.project(P)
    # the pinhole model written out: K [R^T (p - t)] / depth -> pixels -> [-1, 1]
    R, t = front.pose[:3, :3], front.pose[:3, 3]
    c = (P - t) @ R
    px = (c @ front.intrinsics.T)[:, :2] / c[:, 2:3]
    np.testing.assert_allclose(uv, px / 224 * 2 - 1, atol=1e-12)
    for p, q in zip(P, uv):  # the ray through a projection passes through the point
        o, d = front.ray(q)
        assert np.linalg.norm(np.cross(p - o, d)) < 1e-9 and (p - o) @ d > 0
    assert np.all(np.isnan(front.project([[2.0, 0.0, 0.6]])))  # behind the camera


def test_triangulate_recovers_a_point_and_reports_disagreement() -> None:
    cams = _cameras()
    p = np.array([0.55, 0.08, 0.07])
    pts = np.array([c.project(p[None])[0] for c in cams])
    x, residual = triangulate(cams, pts)
    np.testing.assert_allclose(x, p, atol=1e-9)
    assert residual < 1e-9
    moved = pts.copy()
    moved[1, 0] += 0.1  # one view points elsewhere: the rays no longer meet
    _, residual = triangulate(cams, moved)
    assert residual > 0.005
    x, residual = triangulate(cams, np.array([pts[0], [np.nan, np.nan]]))
    assert np.all(np.isnan(x)) and residual == float("inf")  # one ray fixes no point
    x, residual = triangulate([cams[0], cams[0]], np.array([pts[0], pts[0]]))
    assert np.all(np.isnan(x)) and residual == float("inf")  # parallel rays
    with pytest.raises(InvalidInputError, match="one image point per camera"):
        triangulate(cams, pts[:1])


def test_malformed_calibration_is_rejected() -> None:
    front, _ = _cameras()
    bad_pose = front.pose.copy()
    bad_pose[:3, :3] *= 2.0  # not a rotation
    with pytest.raises(InvalidInputError, match="rigid transform"):
        CameraCalibration(front.intrinsics, bad_pose, (224, 224))
    K = front.intrinsics.copy()
    K[0, 0] = np.nan
    with pytest.raises(InvalidInputError, match="intrinsics"):
        CameraCalibration(K, front.pose, (224, 224))
    with pytest.raises(InvalidInputError, match="size"):
        CameraCalibration(front.intrinsics, front.pose, (0, 224))
    with pytest.raises(InvalidInputError, match="intrinsics, pose and size"):
        CameraCalibration.from_dict({"intrinsics": front.intrinsics.tolist()})
    again = CameraCalibration.from_dict(front.to_dict())
    np.testing.assert_array_equal(again.pose, front.pose)


def _blob_map(cam: CameraCalibration, points: list[tuple[np.ndarray, float]], n: int = 28) -> np.ndarray:
    """Log-probabilities over an n x n grid: Gaussian blobs (1.2 cells wide) at the points'
    projections, each with its weight."""
    xs = (np.arange(n) + 0.5) * 2.0 / n - 1.0
    gx, gy = np.meshgrid(xs, xs)
    p = np.full((n, n), 1e-6)
    for point, w in points:
        u, v = cam.project(point[None])[0]
        p += w * np.exp(-((gx - u) ** 2 + (gy - v) ** 2) / (2 * (1.2 * 2.0 / n) ** 2))
    return np.log(p / p.sum())


def test_locate_target_outvotes_a_view_that_points_at_another_object() -> None:
    cams = _cameras()
    target, other = np.array([0.52, 0.06, 0.06]), np.array([0.7, 0.25, 0.05])
    # the front view's strongest blob is the other object; the side view sees only the target
    maps = np.stack([_blob_map(cams[0], [(other, 1.0), (target, 0.4)]), _blob_map(cams[1], [(target, 1.0)])])
    low, high = np.array([0.2, -0.3, 0.0]), np.array([0.8, 0.3, 0.4])
    x, residual = locate_target(cams, maps, low, high)
    assert np.linalg.norm(x - target) < 0.01 and residual < 0.01
    # the per-view strongest cells disagree: triangulating them lands on neither object
    peaks = []
    for m in maps:
        i, j = np.unravel_index(np.argmax(m), m.shape)
        peaks.append([(j + 0.5) * 2 / 28 - 1, (i + 0.5) * 2 / 28 - 1])
    naive, naive_residual = triangulate(cams, np.array(peaks))
    assert naive_residual > 0.02 or np.linalg.norm(naive - target) > 0.03
    with pytest.raises(InvalidInputError, match="maps"):
        locate_target(cams, maps[:1], low, high)
    with pytest.raises(InvalidInputError, match="low < high"):
        locate_target(cams, maps, high, low)


def _model() -> tuple[GraspVLA, dict, list[str]]:
    return model_and_batch("tiny-ground")


def test_generate_with_a_given_or_located_position() -> None:
    model, batch, instr = _model()
    noise = torch.randn(2, 4, 7, generator=torch.Generator().manual_seed(0))
    own = generate(model, batch["images"], instr, batch["proprio"], noise=noise)
    # all NaN: the model's own position, so the very same generation
    same = generate(model, batch["images"], instr, batch["proprio"], noise=noise, position=np.full((2, 3), np.nan))
    np.testing.assert_array_equal(same.goal, own.goal)
    np.testing.assert_array_equal(same.actions, own.actions)
    want = np.array([[0.5, -0.3, 0.2], [-0.6, 0.1, np.nan]])
    out = generate(model, batch["images"], instr, batch["proprio"], noise=noise, position=want)
    half_bin = 1.0 / 255 + 1e-6
    np.testing.assert_allclose(out.goal[0, :3], want[0], atol=half_bin)
    np.testing.assert_allclose(out.goal[1, :2], want[1, :2], atol=half_bin)
    assert np.all(np.isfinite(out.goal[:, 3:]))  # the orientation is decoded after it
    slow = generate(model, batch["images"], instr, batch["proprio"], noise=noise, position=want, use_cache=False)
    np.testing.assert_array_equal(slow.goal, out.goal)
    seen = []

    def locate(maps: np.ndarray) -> np.ndarray:
        seen.append(maps)
        return np.tile([0.25, 0.25, -0.5], (len(maps), 1))

    out = generate(model, batch["images"], instr, batch["proprio"], noise=noise, position=locate)
    (maps,) = seen
    assert maps.shape[:2] == (2, 2) and maps.ndim == 4  # (B, views, H, W)
    np.testing.assert_allclose(np.exp(maps).sum((2, 3)), 1.0, atol=1e-6)  # log-probabilities per view
    np.testing.assert_allclose(out.goal[:, :3], [[0.25, 0.25, -0.5]] * 2, atol=half_bin)
    with pytest.raises(ValueError, match="not both"):
        generate(model, batch["images"], instr, batch["proprio"], goal=np.zeros((2, 6)), position=want)
    with pytest.raises(ValueError, match="shape"):
        generate(model, batch["images"], instr, batch["proprio"], position=np.zeros((2, 2)))


def test_goal_bias_steers_the_greedy_grasp_tokens() -> None:
    model, batch, instr = _model()
    bins = model.layout.bins
    n = bins.vocab_size - bins.first_id
    noise = torch.randn(2, 4, 7, generator=torch.Generator().manual_seed(0))
    own = generate(model, batch["images"], instr, batch["proprio"], noise=noise)
    zero = generate(model, batch["images"], instr, batch["proprio"], noise=noise,
                    goal_bias=np.zeros((2, 6, n)))
    np.testing.assert_array_equal(zero.goal, own.goal)
    bias = np.zeros((2, 6, n))
    bias[:, 5, 40] = 1e4  # the yaw token must take bin 40
    out = generate(model, batch["images"], instr, batch["proprio"], noise=noise, goal_bias=bias)
    np.testing.assert_allclose(out.goal[:, 5], bins.decode(np.array([bins.first_id + 40] * 2)))
    with pytest.raises(ValueError, match="goal_bias"):
        generate(model, batch["images"], instr, batch["proprio"], goal_bias=np.zeros((2, 6, 3)))


def _policy(**kw) -> GraspVLAPolicy:
    model, _, _ = _model()
    lo = np.r_[0.2, -0.4, -0.05, -1.0, -1.5, -1.5, 0.0]
    hi = np.r_[0.8, 0.4, 0.6, 1.0, 1.5, 1.5, 1.0]
    return GraspVLAPolicy(model, Normalizer(lo, hi, -0.05 * np.ones(7), 0.05 * np.ones(7), roll_offset=np.pi), **kw)


def test_orientation_prior_prefers_the_hands_orientation() -> None:
    policy = _policy(orientation_prior=2.0)
    bins = policy.model.layout.bins
    ids = np.arange(bins.first_id, bins.vocab_size)
    angles = policy.norm.goal_inverse(np.repeat(bins.decode(ids)[:, None], 6, 1))[:, 3:6]
    hand = np.array([[np.pi - 0.1, 0.2, 0.4]])
    b = policy.orientation_bias(hand)
    assert b.shape == (1, 6, len(ids)) and np.all(b[:, :3] == 0)
    for d in range(3):  # the strongest bin is the hand's own angle
        err = angles[np.argmax(b[0, 3 + d]), d] - hand[0, d]
        assert abs((err + np.pi) % (2 * np.pi) - np.pi) < 0.05
    assert b.max() == pytest.approx(2.0, abs=1e-3) and b.min() >= -2.0 - 1e-6
    # the yaw is pi-periodic: the bin nearest yaw_hand - pi/2 is the least preferred
    yaw = angles[:, 2]
    worst = np.argmin(np.abs(yaw - (0.4 - np.pi / 2)))
    assert b[0, 5, worst] == pytest.approx(-2.0, abs=0.02)
    with pytest.raises(InvalidInputError, match="orientation_prior"):
        _policy(orientation_prior=-1.0)


def test_stream_fuses_target_estimates() -> None:
    policy = _policy(target_merge_distance=0.03)
    policy.goal_latch_distance = 0.1
    far_hand = np.array([0.3, 0.0, 0.5])
    a = np.array([0.5, 0.1, 0.05])
    np.testing.assert_allclose(policy._fused_target(a, far_hand), a)
    np.testing.assert_allclose(policy._fused_target(a + 0.01, far_hand), a + 0.005)
    outlier = np.array([0.3, -0.2, 0.05])
    np.testing.assert_allclose(policy._fused_target(outlier, far_hand), a + 0.005)  # outvoted
    np.testing.assert_allclose(policy._fused_target(None, far_hand), a + 0.005)  # no estimate: the kept one
    near_hand = a + np.array([0.0, 0.0, 0.05])  # the hand may hide the object: not kept
    policy._fused_target(a + np.array([0.0, 0.02, 0.0]), near_hand)
    assert len(policy._targets) == 3
    policy.reset()
    assert policy._fused_target(None, far_hand) is None


def test_policy_with_calibrated_cameras_takes_the_located_position() -> None:
    cams = _cameras()
    policy = _policy(calibration=cams, max_ray_distance=10.0)  # accept whatever the untrained maps say
    rng = np.random.default_rng(0)
    obs = Observation(rng.integers(0, 255, (224, 224, 3), dtype=np.uint8),
                      rng.integers(0, 255, (224, 224, 3), dtype=np.uint8), "pick up the mug",
                      np.tile([0.4, 0.0, 0.4, np.pi, 0.0, 0.0, 1.0], (2, 1)))
    pred = policy.predict_batch([obs])[0]
    assert np.all(np.isfinite(pred.target_point)) and pred.target_residual <= 10.0
    lo, hi = policy.workspace
    assert np.all(pred.target_point >= lo - 0.05) and np.all(pred.target_point <= hi + 0.05)
    bin_width = (hi - lo) * 2.0 / 255
    np.testing.assert_array_less(np.abs(pred.grasp[:3] - np.clip(pred.target_point, lo, hi)), bin_width + 1e-9)
    strict = _policy(calibration=cams, max_ray_distance=1e-9)  # the views never agree that well
    pred = strict.predict_batch([obs])[0]
    own = _policy().predict_batch([obs])[0]
    np.testing.assert_array_equal(pred.grasp, own.grasp)  # so the model's own position
    with pytest.raises(InvalidInputError, match="CameraCalibration"):
        _policy(calibration=cams[:1])
    with pytest.raises(InvalidInputError, match="not both"):
        policy.predict_batch([obs], grasps=np.zeros((1, 6)), positions=np.zeros((1, 3)))
