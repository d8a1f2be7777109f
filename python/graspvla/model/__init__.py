"""The GraspVLA model: vision towers, LM with Progressive Action Generation, flow-matching
action expert; batching, generation, checkpoints and the policy API."""

from __future__ import annotations

from graspvla.model.batching import Collator
from graspvla.geometry.calibration import CameraCalibration
from graspvla.model.config import ExpertConfig, GraspVLAConfig, LMConfig, VisionConfig, preset
from graspvla.model.generate import Generation, generate
from graspvla.model.graspvla import GraspVLA
from graspvla.model.normalize import Normalizer
from graspvla.model.checkpoint import from_pretrained, save_pretrained
from graspvla.model.policy import GraspVLAPolicy, Observation, Policy, Prediction

__all__ = ["CameraCalibration", "Collator", "ExpertConfig", "Generation", "GraspVLA", "GraspVLAConfig", "LMConfig", "Normalizer",
           "VisionConfig", "generate", "preset", "GraspVLAPolicy", "Observation", "Policy", "Prediction", "save_pretrained",
           "from_pretrained"]
