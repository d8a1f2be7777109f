"""Oracle models for the robot tests: the published URDFs loaded with pinocchio.

The URDFs are located through their installed distributions (importlib.metadata for
example-robot-data, which has no Python module; the ``franky_sim`` package for FR3), never
through a hard-coded site-packages path.
"""

from __future__ import annotations

import importlib.metadata
from pathlib import Path
from typing import Any

import numpy as np
import pytest


def panda_urdf() -> Path:
    """example-robot-data's ``panda_description/urdf/panda.urdf`` (skips when not installed)."""
    try:
        dist = importlib.metadata.distribution("example-robot-data")
    except importlib.metadata.PackageNotFoundError:
        pytest.skip("example-robot-data is not installed (oracles extra)")
    for f in dist.files or []:
        if str(f).replace("\\", "/").endswith("panda_description/urdf/panda.urdf"):
            path = Path(str(dist.locate_file(f)))
            if path.is_file():
                return path
    pytest.skip("example-robot-data does not ship panda_description/urdf/panda.urdf")


def fr3_urdf() -> Path:
    """franky-sim's FR3 URDF (``fr3_clean.urdf``, else ``fr3.urdf``): the arm without the hand."""
    franky_sim = pytest.importorskip("franky_sim")
    assets = Path(franky_sim.__file__).parent / "assets"
    for name in ("fr3_clean.urdf", "fr3.urdf"):
        if (assets / name).is_file():
            return assets / name
    pytest.skip("franky_sim ships no FR3 URDF")


# Pinocchio link-frame names of link1..link7 and the flange (link8) in each URDF.
LINK_FRAMES = {
    "panda": [f"panda_link{i}" for i in range(1, 9)],
    "fr3": [f"link{i}" for i in range(1, 9)],
}


def pin_arm_model(name: str) -> Any:
    """Pinocchio model of the 7-DoF arm with frames ``hand`` and ``tcp`` added.

    Panda: the example-robot-data URDF with both finger joints locked at 0
    (``buildReducedModel`` lumps the fingers' inertia rigidly into link7, as our defaults do);
    its own ``panda_hand`` / ``panda_hand_tcp`` frames are kept and aliased.
    FR3: the franky-sim URDF has no hand, so ``hand`` (link8 rotated -pi/4 about z) and
    ``tcp`` (hand + 0.1034 m along z) are added with the Panda URDF's fixed-joint placements.
    """
    pin = pytest.importorskip("pinocchio")
    if name == "panda":
        full = pin.buildModelFromUrdf(str(panda_urdf()))
        fingers = [full.getJointId("panda_finger_joint1"), full.getJointId("panda_finger_joint2")]
        model = pin.buildReducedModel(full, fingers, np.zeros(full.nq))
        return model
    model = pin.buildModelFromUrdf(str(fr3_urdf()))
    flange = model.getFrameId("link8")
    fl = model.frames[flange]
    hand_in_flange = pin.SE3(pin.utils.rpyToMatrix(0.0, 0.0, -np.pi / 4), np.zeros(3))
    hand_place = fl.placement * hand_in_flange
    model.addFrame(pin.Frame("fr3_hand", fl.parentJoint, flange, hand_place, pin.FrameType.OP_FRAME))
    tcp_place = hand_place * pin.SE3(np.eye(3), np.array([0.0, 0.0, 0.1034]))
    model.addFrame(pin.Frame("fr3_hand_tcp", fl.parentJoint, flange, tcp_place, pin.FrameType.OP_FRAME))
    return model


def pin_frame_ids(model: Any, name: str) -> list[int]:
    """Pinocchio frame ids in our Frame order: link1..link7, flange, hand, tcp."""
    names = LINK_FRAMES[name] + (["panda_hand", "panda_hand_tcp"] if name == "panda" else ["fr3_hand", "fr3_hand_tcp"])
    ids = [model.getFrameId(n) for n in names]
    assert all(i < model.nframes for i in ids), names
    return ids
