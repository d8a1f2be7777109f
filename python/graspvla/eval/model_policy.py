"""Loading a trained model as a benchmark policy."""

from __future__ import annotations

from graspvla.model.policy import GraspVLAPolicy

__all__ = ["ModelPolicy"]


class ModelPolicy(GraspVLAPolicy):
    """A :class:`GraspVLAPolicy` named after its checkpoint (``graspvla`` or ``no-pag``)."""

    @classmethod
    def from_checkpoint(cls, directory: str) -> ModelPolicy:
        policy = cls.from_pretrained(directory)
        policy.name = "graspvla" if policy.model.config.use_pag else "no-pag"
        return policy  # type: ignore[return-value]
