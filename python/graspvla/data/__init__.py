"""SynGrasp-style data: episodes, LeRobot v3 shards, the training reader, grounding samples and
the resumable parallel generator (local processes or Ray).

    episode source (seed -> Episode) -> write_shard (worker, atomic) -> manifest
        -> finalize (one LeRobot v3 dataset) -> LeRobotReader (training)
"""

from __future__ import annotations

from graspvla.data.episode import Episode, EpisodeMeta, Frame, build_episode_arrays, instruction_for
from graspvla.data.features import FeatureMap
from graspvla.data.generate import GenerateConfig, GenerateSummary, generate
from graspvla.data.grounding import GritReader, GroundingSample, synthetic_grounding_samples
from graspvla.data.grounding_gen import GroundingGenConfig, GroundingGenSummary, generate_grounding
from graspvla.data.lerobot import finalize
from graspvla.data.reader import LeRobotReader, WindowConfig, verify_dataset
from graspvla.data.shards import ShardResult, ShardSpec, verify_shard, write_shard
from graspvla.data.sources import ScriptedTestSource, make_source, register_source
from graspvla.data.video import VideoConfig

__all__ = [
    "Episode", "EpisodeMeta", "Frame", "build_episode_arrays", "instruction_for",
    "FeatureMap", "GenerateConfig", "GenerateSummary", "generate",
    "GritReader", "GroundingSample", "synthetic_grounding_samples", "finalize",
    "GroundingGenConfig", "GroundingGenSummary", "generate_grounding",
    "LeRobotReader", "WindowConfig", "verify_dataset",
    "ShardResult", "ShardSpec", "verify_shard", "write_shard",
    "ScriptedTestSource", "make_source", "register_source", "VideoConfig",
]
