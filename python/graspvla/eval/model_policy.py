"""Loading a trained model as a benchmark policy."""

from __future__ import annotations

from typing import Any

import numpy as np

from graspvla.model.policy import GraspVLAPolicy
from graspvla.seeding import episode_seed

__all__ = ["CALIBRATED_ORIENTATION_PRIOR", "ModelPolicy", "OracleGraspPolicy"]

#: the ``calibrated`` rows' ``orientation_prior`` [nats]: on the shipped checkpoint 23/60 basic
#: trials with it, 20/60 without (README, "Calibrated cameras")
CALIBRATED_ORIENTATION_PRIOR = 2.0


class ModelPolicy(GraspVLAPolicy):
    """A :class:`GraspVLAPolicy` named after its checkpoint (``graspvla`` or ``no-pag``)."""

    @classmethod
    def from_checkpoint(cls, directory: str, calibrated_axes: str | None = None, **kw: Any) -> ModelPolicy:
        """``calibrated_axes`` ("xyz" or "xy"): see :meth:`calibrated`; ``kw``: further
        :class:`GraspVLAPolicy` arguments."""
        policy = cls.from_pretrained(directory, **kw)
        if calibrated_axes is not None:
            prior = kw.get("orientation_prior", CALIBRATED_ORIENTATION_PRIOR)
            return cls.calibrated(policy, calibrated_axes, prior, source=directory)
        policy.name = "graspvla" if policy.model.config.use_pag else "no-pag"
        return policy  # type: ignore[return-value]

    @classmethod
    def calibrated(cls, policy: GraspVLAPolicy, axes: str = "xyz",
                   orientation_prior: float = CALIBRATED_ORIENTATION_PRIOR, source: str = "model") -> ModelPolicy:
        """The same model and settings, reading the environment's camera calibration: the grasp
        position's ``axes`` come from the views' target maps (see :class:`GraspVLAPolicy`), with
        ``orientation_prior``; named ``graspvla+calibrated`` (``-xy``)."""
        if not policy.model.config.has_target_keypoint:
            from graspvla.errors import InvalidInputError

            raise InvalidInputError(f"calibrated:{source}: the model has no PAG or no queried keypoint to triangulate")
        out = cls(policy.model, policy.norm, **{**policy.settings(), "calibrated_axes": axes,
                                                "orientation_prior": orientation_prior})
        out.env_cameras = True
        out.name = "graspvla+calibrated" + ("-xy" if axes == "xy" else "")
        return out


class OracleGraspPolicy(ModelPolicy):
    """Diagnostic: the model with its grasp tokens replaced, at every query, by the scripted
    expert's privileged grasp of the requested object (:meth:`ScriptedTopDownExpert.grasp_pose`).
    Its success separates the action expert (does it move to and close on a grasp it is given?)
    from perception (does the model find the object and its grasp?). Reads privileged state: a
    baseline, never a deployable policy.

    ``keep`` takes only part of the privileged grasp, the rest from the model's own grasp
    predicted at the same query: ``"position"`` (the expert's xyz, the model's orientation) or
    ``"orientation"`` (the model's xyz, the expert's orientation); which part of its own grasp
    costs the model its success."""

    #: [m] horizontal offset added to the privileged grasp (see :meth:`of`)
    offset: float = 0.0
    #: "grasp" (all of it), "position" or "orientation": what is taken from the expert
    keep: str = "grasp"

    @classmethod
    def from_checkpoint(cls, directory: str, offset: float = 0.0, keep: str = "grasp") -> OracleGraspPolicy:
        return cls.of(GraspVLAPolicy.from_pretrained(directory), directory, offset, keep)

    @classmethod
    def of(cls, policy: GraspVLAPolicy, source: str = "model", offset: float = 0.0,
           keep: str = "grasp") -> OracleGraspPolicy:
        """The same model, statistics and post-processing (action limits, resampling, grasp
        latch) as ``policy``, given the privileged grasp. ``offset`` [m] > 0 moves that grasp
        by this distance in the table plane, in a direction drawn per trial (at
        :meth:`reset`, from the trial's seed, so two policies in one run see the same
        directions): how far off a grasp the action expert still grasps, the precision a
        grasp predictor needs."""
        from graspvla.errors import InvalidInputError
        from graspvla.eval.sim_env import ScriptedTopDownExpert

        if not policy.model.config.use_pag:
            raise InvalidInputError(f"oracle-grasp:{source}: the model has no grasp tokens (no PAG) to replace")
        out = cls(policy.model, policy.norm, **policy.settings())
        if not (np.isfinite(offset) and offset >= 0):
            raise InvalidInputError(f"oracle-grasp offset: expected a finite distance >= 0 [m], got {offset}")
        if keep not in ("grasp", "position", "orientation"):
            raise InvalidInputError(f"oracle keep: expected 'grasp', 'position' or 'orientation', got {keep!r}")
        out.name = f"graspvla+oracle-{keep}" + (f"+{offset * 100:g}cm" if offset > 0 else "")
        out.keep = keep
        out._expert = ScriptedTopDownExpert()
        out.offset = float(offset)
        out._rng = np.random.default_rng(0)
        out._shift = np.zeros(2)
        return out

    def reset(self, seed: int | None = None) -> None:
        super().reset(seed)
        if seed is not None:
            self._rng = np.random.default_rng(episode_seed(0, seed))
        if self.offset > 0:
            a = self._rng.uniform(0.0, 2.0 * np.pi)
            self._shift = self.offset * np.array([np.cos(a), np.sin(a)])

    def grasp_for(self, observation: dict[str, Any]) -> np.ndarray:
        from graspvla.geometry import pose_to_xyz_rpy

        g = pose_to_xyz_rpy(self._expert.grasp_pose(observation))
        g[:2] += self._shift
        if self.keep != "grasp":
            own = self.predict_batch([self.observation_from_env(observation)])[0].grasp
            part = slice(3, 6) if self.keep == "position" else slice(0, 3)  # the model's part
            g[part] = own[part]
        return g
