"""Loading a trained model as a benchmark policy."""

from __future__ import annotations

from typing import Any

import numpy as np

from graspvla.model.policy import GraspVLAPolicy

__all__ = ["ModelPolicy", "OracleGraspPolicy"]


class ModelPolicy(GraspVLAPolicy):
    """A :class:`GraspVLAPolicy` named after its checkpoint (``graspvla`` or ``no-pag``)."""

    @classmethod
    def from_checkpoint(cls, directory: str) -> ModelPolicy:
        policy = cls.from_pretrained(directory)
        policy.name = "graspvla" if policy.model.config.use_pag else "no-pag"
        return policy  # type: ignore[return-value]


class OracleGraspPolicy(ModelPolicy):
    """Diagnostic: the model with its grasp tokens replaced, at every query, by the scripted
    expert's privileged grasp of the requested object (:meth:`ScriptedTopDownExpert.grasp_pose`).
    Its success separates the action expert (does it move to and close on a grasp it is given?)
    from perception (does the model find the object and its grasp?). Reads privileged state: a
    baseline, never a deployable policy."""

    @classmethod
    def from_checkpoint(cls, directory: str) -> OracleGraspPolicy:
        return cls.of(GraspVLAPolicy.from_pretrained(directory), directory)

    @classmethod
    def of(cls, policy: GraspVLAPolicy, source: str = "model") -> OracleGraspPolicy:
        """The same model, statistics and post-processing (action limits, resampling, grasp
        latch) as ``policy``, given the privileged grasp."""
        from graspvla.errors import InvalidInputError
        from graspvla.eval.sim_env import ScriptedTopDownExpert

        if not policy.model.config.use_pag:
            raise InvalidInputError(f"oracle-grasp:{source}: the model has no grasp tokens (no PAG) to replace")
        out = cls(policy.model, policy.norm, history_stride=policy.history_stride, constrained=policy.constrained,
                  action_limits=policy.action_limits, control_dt=policy.control_dt, chunk_dt=policy.chunk_dt,
                  resample_modes=policy.resample_modes, goal_latch_distance=policy.goal_latch_distance)
        out.name = "graspvla+oracle-grasp"
        out._expert = ScriptedTopDownExpert()
        return out

    def grasp_for(self, observation: dict[str, Any]) -> np.ndarray:
        from graspvla.geometry import pose_to_xyz_rpy

        return pose_to_xyz_rpy(self._expert.grasp_pose(observation))
