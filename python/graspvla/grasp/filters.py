"""Grasp regions (named part predicates on an object) and the grasp filters built from them.

A *region* is a predicate on points in the **object frame** (the frame of
:attr:`graspvla.assets.ObjectAsset.vertices`, origin at the centre of mass, metres). It serves
two stages with one definition:

* data generation: :func:`filter_grasps` keeps the synthesised grasps whose two finger contacts
  (:attr:`graspvla.grasp.Grasp.contacts`, object frame) both lie in the region, e.g. the
  ``SynGraspSource(grasp_filter="mug_handle")`` option of the data pipeline
  (``graspvla generate --source-options '{"grasp_filter": "mug_handle"}'``);
* evaluation: :class:`graspvla.eval.sim_env.SimGraspEnv` checks, when the target is lifted, that
  the fingers' contacts with it lie in the region (the "preference success" of the few-shot
  post-training experiment, the paper's Table 4)::

    from graspvla.grasp.filters import filter_grasps, grasp_region
    handle = grasp_region("mug_handle", asset)        # a Region
    handle.contains(points_obj)                        # (N,) bool
    good = filter_grasps(grasps, asset, "mug_handle")  # both contacts on the handle

New regions are added with :func:`register_grasp_region` (a factory ``asset -> Region``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
from numpy.typing import ArrayLike, NDArray

from graspvla.errors import InvalidInputError

__all__ = ["MugGeometry", "Region", "filter_grasps", "grasp_in_region", "grasp_region", "mug_geometry",
           "register_grasp_region", "region_names"]


class Region(Protocol):
    """A part of an object: ``contains(points)`` for (N, 3) object-frame points [m] -> (N,) bool."""

    name: str

    def contains(self, points: ArrayLike) -> NDArray[np.bool_]: ...


@dataclass(frozen=True)
class MugGeometry:
    """The procedural mug measured from its vertices (object frame, metres).

    The procedural generator (:func:`graspvla.assets.procedural._mug`) builds a cylindrical shell
    about the object z axis with a swept-tube handle in the x-z plane on the +x side; recentring
    at the centre of mass and uniform rescaling keep that layout. So the body radius is half the
    y extent (the handle is thinner than the body), the axis sits one radius in from the -x
    extreme, and the handle is what reaches beyond the radius.

    Attributes:
        axis_xy: (2,) the body axis (a vertical line) in object x, y.
        radius: outer body radius.
        handle_reach: how far the handle reaches beyond the body wall (along +x).
        z_range: (z_min, z_max) of the mug.
    """

    axis_xy: NDArray[np.float64]
    radius: float
    handle_reach: float
    z_range: tuple[float, float]

    def radial_distance(self, points: ArrayLike) -> NDArray[np.float64]:
        """Horizontal distance of object-frame points (N, 3) from the body axis [m]."""
        p = np.asarray(points, np.float64).reshape(-1, 3)
        return np.linalg.norm(p[:, :2] - self.axis_xy, axis=1)


def mug_geometry(asset: Any) -> MugGeometry:
    """Measure a procedural mug (see :class:`MugGeometry`); raises if the asset has no handle."""
    v = np.asarray(asset.vertices, np.float64)
    ymin, ymax = float(v[:, 1].min()), float(v[:, 1].max())
    r = 0.5 * (ymax - ymin)
    axis = np.array([float(v[:, 0].min()) + r, 0.5 * (ymin + ymax)])
    reach = float(v[:, 0].max()) - axis[0] - r
    if reach < 0.005:
        raise InvalidInputError(
            f"asset {getattr(asset, 'name', '?')!r} (category {getattr(asset, 'category', '?')!r}) has nothing "
            f"reaching beyond its body radius along +x ({1000 * reach:.1f} mm): the 'mug_handle' region needs a "
            "procedural mug (body about z, handle on +x)")
    return MugGeometry(axis_xy=axis, radius=r, handle_reach=reach, z_range=(float(v[:, 2].min()), float(v[:, 2].max())))


@dataclass(frozen=True)
class _MugHandle:
    """Points on the handle of a procedural mug: farther than ``radius + margin`` from the body
    axis, on the handle's (+x) side. Rim, inside and outer body wall are outside the region."""

    geometry: MugGeometry
    margin: float = 0.002
    name: str = "mug_handle"

    def contains(self, points: ArrayLike) -> NDArray[np.bool_]:
        p = np.asarray(points, np.float64).reshape(-1, 3)
        g = self.geometry
        return (g.radial_distance(p) > g.radius + self.margin) & (p[:, 0] > g.axis_xy[0])


@dataclass(frozen=True)
class _MugBody:
    """The complement of the handle on a mug: body wall, rim, inside and bottom."""

    geometry: MugGeometry
    margin: float = 0.002
    name: str = "mug_body"

    def contains(self, points: ArrayLike) -> NDArray[np.bool_]:
        return ~_MugHandle(self.geometry, self.margin).contains(points)


_REGIONS: dict[str, Callable[[Any], Region]] = {
    "mug_handle": lambda asset: _MugHandle(mug_geometry(asset)),
    "mug_body": lambda asset: _MugBody(mug_geometry(asset)),
}


def register_grasp_region(name: str, factory: Callable[[Any], Region]) -> None:
    """Make ``factory(asset) -> Region`` available by ``name`` (filters, evaluation)."""
    _REGIONS[str(name)] = factory


def region_names() -> list[str]:
    """The registered region names."""
    return sorted(_REGIONS)


def grasp_region(name: str, asset: Any) -> Region:
    """The region ``name`` measured on ``asset`` (an :class:`~graspvla.assets.ObjectAsset`)."""
    if name not in _REGIONS:
        raise InvalidInputError(f"grasp region {name!r} is unknown; choose one of {region_names()}")
    return _REGIONS[name](asset)


def grasp_in_region(grasp: Any, region: Region) -> bool:
    """Both finger contacts of ``grasp`` (:attr:`Grasp.contacts`, object frame) lie in ``region``."""
    return bool(np.all(region.contains(np.asarray(grasp.contacts, np.float64).reshape(-1, 3))))


def filter_grasps(grasps: Sequence[Any], asset: Any, name: str) -> list[Any]:
    """The grasps (order kept) whose two contacts both lie in region ``name`` of ``asset``."""
    region = grasp_region(name, asset)
    return [g for g in grasps if grasp_in_region(g, region)]
