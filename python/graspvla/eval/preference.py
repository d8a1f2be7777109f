"""Grasp-preference checks for the closed-loop benchmark (the paper's Table 4, task T2).

A *preference* is a :mod:`graspvla.grasp.filters` region of the target (e.g. ``"mug_handle"``):
a trial is a **preference success** when the target is lifted (the usual success) **and**, at
that moment, the fingers hold it by the region: both fingers touch the target and every
finger-target contact lies in the region (so a grasp of the handle that also touches the rim
or the inside is not one).

Contacts are MuJoCo's active contacts between the finger bodies (``left_finger``,
``right_finger``) and the target's collision geoms, mapped from the world (= robot base) frame
into the target's object frame (the frame the regions are defined in).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["FINGER_BODIES", "RegionContact", "finger_contacts", "region_contact"]

FINGER_BODIES = ("left_finger", "right_finger")


@dataclass(frozen=True)
class RegionContact:
    """Where the fingers touch the target, relative to a region.

    Attributes:
        region: the region name.
        per_finger: {finger body: number of contacts with the target}.
        in_region: {finger body: how many of those lie in the region}.
        points: {finger body: (N, 3) contact points in the target's object frame [m]}.
    """

    region: str
    per_finger: dict[str, int]
    in_region: dict[str, int]
    points: dict[str, NDArray[np.float64]] = field(repr=False, default_factory=dict)

    @property
    def both_fingers(self) -> bool:
        """Each finger touches the target."""
        return all(self.per_finger.get(f, 0) > 0 for f in FINGER_BODIES)

    @property
    def satisfied(self) -> bool:
        """Both fingers touch the target and all their contacts with it lie in the region."""
        return self.both_fingers and all(self.in_region[f] == self.per_finger[f] for f in self.per_finger)


def _object(sim: Any, object_id: int) -> Any:
    for o in sim.scene.objects:
        if o.id == int(object_id):
            return o
    from graspvla.errors import InvalidInputError

    raise InvalidInputError(f"object id {object_id} is not in the scene (ids {[o.id for o in sim.scene.objects]})")


def finger_contacts(sim: Any, object_id: int) -> dict[str, NDArray[np.float64]]:
    """{finger body: (N, 3) world-frame contact points with object ``object_id``} of a
    :class:`graspvla.sim.Simulator` in its current state."""
    m, d = sim.model, sim.data
    obj = m.body(_object(sim, object_id).body_name).id
    fingers = {m.body(n).id: n for n in FINGER_BODIES}
    out: dict[str, list[np.ndarray]] = {n: [] for n in FINGER_BODIES}
    for c in d.contact[: d.ncon]:
        b1, b2 = int(m.geom_bodyid[c.geom1]), int(m.geom_bodyid[c.geom2])
        if b1 == obj and b2 in fingers:
            out[fingers[b2]].append(np.array(c.pos, np.float64))
        elif b2 == obj and b1 in fingers:
            out[fingers[b1]].append(np.array(c.pos, np.float64))
    return {n: np.array(p, np.float64).reshape(-1, 3) for n, p in out.items()}


def region_contact(sim: Any, object_id: int, region_name: str) -> RegionContact:
    """Check the current finger contacts on object ``object_id`` against region ``region_name``
    (measured on that object's asset)."""
    from graspvla.grasp.filters import grasp_region

    obj = _object(sim, object_id)
    region = grasp_region(region_name, obj.asset)
    T = sim.object_poses()[obj.id]
    points, per, inside = {}, {}, {}
    for finger, pw in finger_contacts(sim, int(object_id)).items():
        po = (pw - T[:3, 3]) @ T[:3, :3]  # world -> object frame
        points[finger] = po
        per[finger] = len(po)
        inside[finger] = int(region.contains(po).sum()) if len(po) else 0
    return RegionContact(region=region_name, per_finger=per, in_region=inside, points=points)
