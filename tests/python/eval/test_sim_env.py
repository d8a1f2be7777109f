"""The MuJoCo grasping environment: observations, action execution, lift detection."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("mujoco")

from graspvla.eval import CONDITIONS  # noqa: E402
from graspvla.eval.harness import RandomPolicy, run_trial  # noqa: E402
from graspvla.eval.sim_env import ScriptedTopDownExpert, SimGraspEnv  # noqa: E402
from graspvla.geometry import pose_to_xyz_rpy  # noqa: E402


@pytest.fixture(scope="module")
def env() -> SimGraspEnv:
    return SimGraspEnv()


def test_observation_and_delta_execution(env: SimGraspEnv) -> None:
    obs = env.reset(1, CONDITIONS["basic"], "can")
    assert obs["front"].shape == (224, 224, 3) and obs["front"].dtype == np.uint8
    assert obs["instruction"] == "pick up the can"
    assert obs["proprio"].shape == (4, 7) and obs["proprio"][-1, 6] == 1.0
    start = obs["tcp_pose"].copy()
    obs = env.execute(np.array([[0.02, 0.0, 0.0, 0, 0, 0, 1.0], [0.0, 0.02, -0.01, 0, 0, 0, 1.0]]))
    moved = obs["tcp_pose"][:3, 3] - start[:3, 3]
    np.testing.assert_allclose(moved, [0.02, 0.02, -0.01], atol=3e-3)  # chained deltas, base frame
    np.testing.assert_allclose(obs["proprio"][-1, :6], pose_to_xyz_rpy(obs["tcp_pose"]), atol=1e-9)
    # one history row per executed action (as training frames are): start, start, after 1, after 2
    p = obs["proprio"][:, :3] - start[:3, 3]
    np.testing.assert_allclose(p[1], 0.0, atol=1e-6)
    np.testing.assert_allclose(p[2], [0.02, 0.0, 0.0], atol=3e-3)
    np.testing.assert_allclose(p[3], [0.02, 0.02, -0.01], atol=3e-3)
    assert env.lift_status() == (pytest.approx(0.0, abs=2e-3), False)


def test_expert_lifts_and_random_does_not(env: SimGraspEnv) -> None:
    rec, _ = run_trial(env, ScriptedTopDownExpert(), 1, CONDITIONS["basic"], "can", "synthetic", 25, 0.1)
    assert rec.success and rec.max_lift >= 0.1
    rec, _ = run_trial(env, RandomPolicy(0), 1, CONDITIONS["basic"], "can", "synthetic", 5, 0.1)
    assert not rec.success


def test_conditions_change_the_scene(env: SimGraspEnv) -> None:
    env.reset(2, CONDITIONS["basic"], "mug")
    basic_table, n_basic = env.scene.table_height, len(env.scene.objects)
    env.reset(2, CONDITIONS["height"], "mug")
    assert env.scene.table_height > basic_table + 0.05
    env.reset(2, CONDITIONS["distractors"], "mug")
    assert len(env.scene.objects) >= n_basic + 3  # five more dropped; a few may fall off


def test_target_boxes_and_first_query_localisation(env: SimGraspEnv) -> None:
    """The harness scores the policy's first target box against segmentation: a policy that
    returns the true box scores IoU 1, a shifted one less, one without boxes None."""
    from types import SimpleNamespace

    env.reset(3, CONDITIONS["basic"], "can")
    truth = env.target_boxes()
    assert truth[0] is not None and truth[0][0] < truth[0][2] and truth[0][1] < truth[0][3]

    class Boxer:
        name = "boxer"

        def __init__(self, shift: float) -> None:
            self.shift = shift

        def reset(self) -> None:
            pass

        def act(self, obs):  # noqa: ANN001, ANN201
            boxes = np.array([b if b is not None else (0, 0, 0, 0) for b in env.target_boxes()], dtype=float)
            boxes[:, [0, 2]] += self.shift
            self.last_prediction = SimpleNamespace(boxes=boxes)
            return np.zeros((1, 7)) + np.r_[np.zeros(6), 1.0]

    exact, _ = run_trial(env, Boxer(0.0), 3, CONDITIONS["basic"], "can", "synthetic", 1, 0.1)
    shifted, _ = run_trial(env, Boxer(4.0), 3, CONDITIONS["basic"], "can", "synthetic", 1, 0.1)
    none, _ = run_trial(env, RandomPolicy(0), 3, CONDITIONS["basic"], "can", "synthetic", 1, 0.1)
    assert exact.box_iou == pytest.approx(1.0) and 0.0 < shifted.box_iou < 1.0 and none.box_iou is None

    # grounding: the box of another object in view is localised perfectly but on the wrong object
    scene = env.object_boxes()
    assert [t for t, _ in scene] == truth
    assert all(truth[0] not in others for _, others in scene)
    seen = [k for k, (t, others) in enumerate(scene) if t is not None and others]
    assert seen, "scene 3 should show the can and another object in some view"

    class WrongObject(Boxer):
        name = "wrong"

        def act(self, obs):  # noqa: ANN001, ANN201
            out = super().act(obs)
            for k, (_, others) in enumerate(env.object_boxes()):
                if others:
                    self.last_prediction.boxes[k] = others[0]
            return out

    wrong, _ = run_trial(env, WrongObject(0.0), 3, CONDITIONS["basic"], "can", "synthetic", 1, 0.1)
    assert exact.box_on_target == 1.0 and none.box_on_target is None
    n_views = sum(t is not None for t in truth)
    assert wrong.box_on_target == pytest.approx(1.0 - len(seen) / n_views)  # wrong in every view with another object
    chance = np.mean([1 / (1 + len(o)) for t, o in scene if t is not None])
    assert exact.box_chance == pytest.approx(chance) and chance < 1.0
    from graspvla.eval.report import format_localisation_table

    table = format_localisation_table([exact, shifted, none, wrong])
    assert "| boxer | synthetic | 2 | 0." in table and f"| 100 % ({100 * chance:.0f} %) |" in table
    assert "| random | synthetic | 1 | - | - | - |" in table  # no boxes, but its reach is reported
    assert exact.grasp_error is None and "| - | - |" in table  # boxes but no grasp
    # the first grasp: on the target's centre, or on another object's
    target_c, others_c = env.object_centres()
    assert others_c and all(np.linalg.norm(target_c[:2] - o[:2]) > 0.02 for o in others_c)

    class Grasper(Boxer):
        name = "grasper"

        def __init__(self, at) -> None:  # noqa: ANN001
            super().__init__(0.0)
            self.at = at

        def act(self, obs):  # noqa: ANN001, ANN201
            out = super().act(obs)
            self.last_prediction.grasp = np.r_[self.at[:2] + [0.01, 0.0], 0.05, np.pi, 0.0, 0.0]
            return out

    on, _ = run_trial(env, Grasper(target_c), 3, CONDITIONS["basic"], "can", "synthetic", 1, 0.1)
    off, _ = run_trial(env, Grasper(others_c[0]), 3, CONDITIONS["basic"], "can", "synthetic", 1, 0.1)
    assert on.grasp_error == pytest.approx(0.01, abs=2e-3) and on.grasp_on_target == 1.0
    assert off.grasp_on_target == 0.0
    assert off.grasp_error == pytest.approx(np.linalg.norm(others_c[0][:2] + [0.01, 0.0] - target_c[:2]), abs=2e-3)
    assert "| 100 % | 1.0 |" in format_localisation_table([on])
    # reach: zero actions leave the TCP where it started, so the closest approach is the start distance
    env.reset(3, CONDITIONS["basic"], "can")
    assert exact.closest_approach == pytest.approx(env.target_distance(), abs=0.02)
    assert exact.closest_approach > 0.1


def test_closest_approach_of_the_expert_is_small(env: SimGraspEnv) -> None:
    """The scripted expert closes its hand around the target: its closest approach is a few cm
    (the TCP sits between the fingertips, at the object's height), far below a start of ~0.4 m."""
    rec, _ = run_trial(env, ScriptedTopDownExpert(), 3, CONDITIONS["basic"], "can", "synthetic", 25, 0.1)
    assert rec.success and rec.closest_approach is not None and rec.closest_approach < 0.04


def test_oracle_grasp_policy_feeds_the_privileged_grasp(env: SimGraspEnv, tmp_path) -> None:
    """``--policy oracle-grasp:DIR``: the model's grasp at every query is the expert's privileged
    grasp of the requested object (to a bin width), not its own tokens."""
    import torch

    from graspvla.cli.eval import make_policy
    from graspvla.model import GraspVLA, Normalizer, preset
    from graspvla.model.checkpoint import save_pretrained

    torch.manual_seed(0)
    cfg = preset("tiny")
    cfg.expert.goal_input = True
    lo = np.r_[0.2, -0.4, -0.1, -1.0, -1.5, -np.pi, 0.0]
    hi = np.r_[0.8, 0.4, 0.5, 1.0, 1.5, np.pi, 1.0]
    norm = Normalizer(lo, hi, -np.ones(7) * 0.05, np.ones(7) * 0.05, roll_offset=float(np.pi))
    save_pretrained(GraspVLA(cfg), norm, tmp_path / "m")
    policy = make_policy(f"oracle-grasp:{tmp_path / 'm'}")
    assert policy.name == "graspvla+oracle-grasp"
    obs = env.reset(5, CONDITIONS["basic"], "mug")
    policy.reset()
    actions = policy.act(obs)
    assert actions.shape == (4, 7) and np.all(np.isfinite(actions))
    want = pose_to_xyz_rpy(ScriptedTopDownExpert().grasp_pose(obs))
    got = policy.last_prediction.grasp
    bin_width = (hi[:6] - lo[:6]) * 2.0 / 255
    assert np.all(np.abs(got[:3] - want[:3]) <= bin_width[:3] + 1e-9)
    ang = np.abs((got[3:] - want[3:] + np.pi) % (2 * np.pi) - np.pi)  # roll +-pi wraps
    assert np.all(ang <= bin_width[3:] + 1e-9)
    from graspvla.errors import InvalidInputError
    from graspvla.eval.model_policy import ModelPolicy, OracleGraspPolicy

    with pytest.raises(InvalidInputError, match="not a checkpoint directory"):
        make_policy(f"oracle-grasp:{tmp_path / 'missing'}")
    # .of keeps the post-processing of the policy it wraps
    base = ModelPolicy(policy.model, norm, action_limits=(-0.01 * np.ones(7), 0.01 * np.ones(7)), control_dt=0.1,
                       goal_latch_distance=0.07)
    wrapped = OracleGraspPolicy.of(base)
    assert wrapped.control_dt == 0.1 and wrapped.goal_latch_distance == 0.07
    np.testing.assert_array_equal(wrapped.action_limits[1], base.action_limits[1])
    wrapped.reset()
    assert np.abs(wrapped.act(obs)).max() <= 0.01 + 1e-12


def test_offset_oracle_moves_the_grasp_by_the_distance(env: SimGraspEnv, tmp_path) -> None:
    """``--policy oracle-grasp+3cm:DIR``: the privileged grasp moved 3 cm in the table plane, in
    a direction drawn per trial and the same for two such policies."""
    import torch

    from graspvla.cli.eval import make_policy
    from graspvla.errors import InvalidInputError
    from graspvla.model import GraspVLA, Normalizer, preset
    from graspvla.model.checkpoint import save_pretrained

    torch.manual_seed(0)
    save_pretrained(GraspVLA(preset("tiny")), Normalizer.identity(), tmp_path / "m")
    a, b = make_policy(f"oracle-grasp+3cm:{tmp_path / 'm'}"), make_policy(f"oracle-grasp+3cm:{tmp_path / 'm'}")
    assert a.name == "graspvla+oracle-grasp+3cm" and a.offset == pytest.approx(0.03)
    obs = env.reset(5, CONDITIONS["basic"], "mug")
    want = pose_to_xyz_rpy(ScriptedTopDownExpert().grasp_pose(obs))
    shifts = []
    for _ in range(3):
        a.reset()
        b.reset()
        ga, gb = a.grasp_for(obs), b.grasp_for(obs)
        np.testing.assert_allclose(ga, gb)
        np.testing.assert_allclose(ga[2:], want[2:])  # height and orientation untouched
        assert np.linalg.norm(ga[:2] - want[:2]) == pytest.approx(0.03)
        shifts.append(ga[:2] - want[:2])
    assert np.linalg.norm(shifts[0] - shifts[1]) > 1e-3  # a new direction per trial
    for bad in ("oracle-grasp+3:", "oracle-grasp+-2cm:", "oracle-grasp+xcm:"):
        with pytest.raises(InvalidInputError, match="oracle-grasp"):
            make_policy(bad + str(tmp_path / "m"))


def test_eval_cli_keeps_same_named_policies_apart() -> None:
    """Two checkpoints are both ``graspvla``: the report names them by their paths' tails."""
    from types import SimpleNamespace

    from graspvla.cli.eval import _unique_names

    pols = [SimpleNamespace(name=n) for n in ("graspvla", "graspvla", "expert", "graspvla+oracle-grasp",
                                              "graspvla+oracle-grasp", "graspvla")]
    _unique_names(pols, ["runs/a/model", "runs/b/model", "expert", "oracle-grasp:runs/a/model",
                         "oracle-grasp:runs/b/model", "runs/a/model"])
    assert [p.name for p in pols] == ["graspvla@a/model#1", "graspvla@b/model", "expert",
                                      "graspvla+oracle-grasp@a/model", "graspvla+oracle-grasp@b/model",
                                      "graspvla@a/model#2"]


def test_partial_oracles_mix_the_experts_and_the_models_grasp(env: SimGraspEnv, tmp_path) -> None:
    """``oracle-position:DIR`` takes the expert's grasp position and the model's own orientation
    at the same query; ``oracle-orientation:DIR`` the other way round."""
    import torch

    from graspvla.cli.eval import make_policy
    from graspvla.model import GraspVLA, Normalizer, preset
    from graspvla.model.checkpoint import save_pretrained

    torch.manual_seed(0)
    save_pretrained(GraspVLA(preset("tiny")), Normalizer.identity(), tmp_path / "m")
    obs = env.reset(5, CONDITIONS["basic"], "mug")
    want = pose_to_xyz_rpy(ScriptedTopDownExpert().grasp_pose(obs))
    pos, rot = make_policy(f"oracle-position:{tmp_path / 'm'}"), make_policy(f"oracle-orientation:{tmp_path / 'm'}")
    assert (pos.name, rot.name) == ("graspvla+oracle-position", "graspvla+oracle-orientation")
    own = pos.predict_batch([pos.observation_from_env(obs)])[0].grasp
    assert np.abs(own[:3] - want[:3]).max() > 0.01  # an untrained model's grasp is elsewhere
    gp, gr = pos.grasp_for(obs), rot.grasp_for(obs)
    np.testing.assert_allclose(gp[:3], want[:3])
    np.testing.assert_allclose(gp[3:], own[3:])
    np.testing.assert_allclose(gr[:3], own[:3])
    np.testing.assert_allclose(gr[3:], want[3:])
    pos.reset()
    assert np.all(np.isfinite(pos.act(obs)))


def test_observation_cameras_triangulate_the_rendered_target(env: SimGraspEnv) -> None:
    """The calibration in the observation matches MuJoCo's renderer: the centres of the target's
    segmentation in the two rendered views triangulate to the target (a few mm: the centres of
    a solid's two silhouettes are not the image of one point)."""
    from graspvla.geometry.calibration import CameraCalibration, triangulate

    obs = env.reset(3, CONDITIONS["basic"], "can")
    cams = [CameraCalibration.from_dict(obs["cameras"][n]) for n in ("front", "side")]
    pts = []
    for name, cam in zip(("front", "side"), cams):
        seg = env.sim.render_segmentation(name)
        ys, xs = np.nonzero(seg == env.scene.target.id)
        h, w = seg.shape
        pts.append([(xs.mean() + 0.5) / w * 2 - 1, (ys.mean() + 0.5) / h * 2 - 1])
    x, residual = triangulate(cams, np.array(pts))
    target, _ = env.object_centres()
    assert residual < 0.01 and np.linalg.norm(x - target) < 0.015


def test_calibrated_policy_spec_reads_the_environments_cameras(env: SimGraspEnv, tmp_path) -> None:
    import torch

    from graspvla.cli.eval import make_policy
    from graspvla.errors import InvalidInputError
    from graspvla.model import GraspVLA, Normalizer, preset
    from graspvla.model.checkpoint import save_pretrained

    torch.manual_seed(0)
    lo = np.r_[0.2, -0.4, -0.1, -1.0, -1.5, -np.pi, 0.0]
    hi = np.r_[0.8, 0.4, 0.5, 1.0, 1.5, np.pi, 1.0]
    norm = Normalizer(lo, hi, -np.ones(7) * 0.05, np.ones(7) * 0.05, roll_offset=float(np.pi))
    save_pretrained(GraspVLA(preset("tiny-ground")), norm, tmp_path / "m")
    policy = make_policy(f"calibrated:{tmp_path / 'm'}")
    assert policy.name == "graspvla+calibrated" and policy.env_cameras
    policy.max_ray_distance = 10.0  # an untrained model's maps: accept what they say
    obs = env.reset(3, CONDITIONS["basic"], "can")
    policy.reset()
    assert np.all(np.isfinite(policy.act(obs)))
    pred = policy.last_prediction
    assert np.all(np.isfinite(pred.target_point))
    np.testing.assert_allclose(pred.grasp[:3], np.clip(pred.target_point, lo[:3], hi[:3]),
                               atol=float(np.max(hi[:3] - lo[:3])) / 255 + 1e-9)
    assert make_policy(f"calibrated-xy:{tmp_path / 'm'}").calibrated_axes == "xy"
    save_pretrained(GraspVLA(preset("tiny")), norm, tmp_path / "plain")  # no queried keypoint
    with pytest.raises(InvalidInputError, match="queried keypoint"):
        make_policy(f"calibrated:{tmp_path / 'plain'}")
    with pytest.raises(InvalidInputError, match="not a checkpoint directory"):
        make_policy(f"calibrated:{tmp_path / 'missing'}")
