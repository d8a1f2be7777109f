"""The GraspVLA server protocol: request parsing, reply building, action sub-steps.

Request keys (as the original clients send them): ``text`` (instruction, e.g. "pick up pen"),
``front_view_image`` / ``side_view_image`` (lists of HxWx3 uint8 arrays, or of JPEG/PNG bytes
when ``compressed`` is true; only the last element is used), ``proprio_array`` (>= 4 rows of
``[x, y, z, roll, pitch, yaw, g]`` in the base frame, g = -1 closed / +1 open). ``env_id``,
``depth_array`` and ``traj_metadata`` are accepted and ignored. ``{"type": "health"}`` asks for
server health.

Replies: ``{"info": "success", "env_id", "result": 2H x (7,), "debug": {"pose": (xyz, rpy),
"bbox": (2, 4), "latency_ms"}}`` or ``{"info": "error", "error": message}``.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from graspvla.geometry import axis_angle_to_matrix, euler_to_matrix, matrix_to_axis_angle, matrix_to_euler
from graspvla.serve.codec import ProtocolError

__all__ = ["Request", "error_reply", "parse_request", "split_delta_actions", "success_reply"]

MAX_IMAGE_SIDE = 4096


@dataclass
class Request:
    """A parsed policy request. Images are uint8 HxWx3 RGB; proprio is (N, 7) float64 rows
    ``[x, y, z, roll, pitch, yaw, g]`` (base frame, m, rad sxyz, g in {-1, +1})."""

    text: str
    front_image: NDArray[np.uint8]
    side_image: NDArray[np.uint8]
    proprio: NDArray[np.float64]
    env_id: Any = 0
    extras: dict[str, Any] = field(default_factory=dict)


def _decode_image(value: Any, name: str, compressed: bool) -> NDArray[np.uint8]:
    if isinstance(value, (list, tuple)):
        if not value:
            raise ProtocolError(f"{name}: empty list")
        value = value[-1]  # the original server uses only the last element
    if compressed or isinstance(value, (bytes, bytearray)):
        if not isinstance(value, (bytes, bytearray)):
            raise ProtocolError(f"{name}: compressed=True needs JPEG/PNG bytes")
        try:
            from PIL import Image

            with Image.open(io.BytesIO(bytes(value))) as im:
                if max(im.size) > MAX_IMAGE_SIDE:
                    raise ProtocolError(f"{name}: image {im.size} larger than {MAX_IMAGE_SIDE} px")
                value = np.asarray(im.convert("RGB"))
        except ProtocolError:
            raise
        except Exception as exc:
            raise ProtocolError(f"{name}: could not decode image bytes ({exc})") from exc
    arr = np.asarray(value)
    if arr.ndim != 3 or arr.shape[2] != 3 or arr.dtype != np.uint8:
        raise ProtocolError(f"{name}: expected an HxWx3 uint8 image, got {arr.dtype} {arr.shape}")
    if min(arr.shape[:2]) < 16 or max(arr.shape[:2]) > MAX_IMAGE_SIDE:
        raise ProtocolError(f"{name}: image size {arr.shape[:2]} outside [16, {MAX_IMAGE_SIDE}]")
    return np.ascontiguousarray(arr)


def parse_request(msg: Any) -> Request | str:
    """Validates a decoded message. Returns a :class:`Request`, or the string ``"health"``."""
    if not isinstance(msg, dict):
        raise ProtocolError(f"request must be a dict, got {type(msg).__name__}")
    if msg.get("type") == "health":
        return "health"
    for key in ("text", "front_view_image", "side_view_image", "proprio_array"):
        if key not in msg:
            raise ProtocolError(f"request is missing '{key}'")
    text = msg["text"]
    if not isinstance(text, str) or not text.strip() or len(text) > 1000:
        raise ProtocolError("text: expected a non-empty instruction string (<= 1000 chars)")
    compressed = bool(msg.get("compressed", False))
    front = _decode_image(msg["front_view_image"], "front_view_image", compressed)
    side = _decode_image(msg["side_view_image"], "side_view_image", compressed)
    try:
        proprio = np.asarray(msg["proprio_array"], dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ProtocolError(f"proprio_array: not numeric ({exc})") from exc
    if proprio.ndim != 2 or proprio.shape[1] != 7 or proprio.shape[0] < 1:
        raise ProtocolError(f"proprio_array: expected rows of 7 values, got shape {proprio.shape}")
    if not np.all(np.isfinite(proprio)):
        raise ProtocolError("proprio_array: contains NaN or infinite values")
    extras = {k: v for k, v in msg.items() if k in ("depth_array", "traj_metadata")}
    return Request(text=text.strip(), front_image=front, side_image=side, proprio=proprio,
                   env_id=msg.get("env_id", 0), extras=extras)


def quantise_gripper(g: float) -> float:
    """[0, 1] gripper target (1 = open) -> -1 close / +1 open / 0 no change (thresholds 0.4/0.6)."""
    return -1.0 if g < 0.4 else (1.0 if g > 0.6 else 0.0)


def split_delta_actions(chunk: NDArray[np.float64]) -> NDArray[np.float64]:
    """Splits each of H delta actions ``[dx, dy, dz, droll, dpitch, dyaw, g]`` (base frame, sxyz,
    g in [0, 1]) into 2 sub-steps, as the original server does: half the translation, the
    rotation's axis-angle halved (same for both halves), gripper 0 then the quantised value."""
    chunk = np.asarray(chunk, dtype=np.float64)
    if chunk.ndim != 2 or chunk.shape[1] != 7:
        raise ValueError(f"chunk: expected (H, 7), got {chunk.shape}")
    half_rot = matrix_to_euler(axis_angle_to_matrix(0.5 * matrix_to_axis_angle(euler_to_matrix(chunk[:, 3:6]))))
    out = np.zeros((2 * len(chunk), 7))
    for i, a in enumerate(chunk):
        for k in range(2):
            out[2 * i + k, :3] = 0.5 * a[:3]
            out[2 * i + k, 3:6] = half_rot[i]
        out[2 * i + 1, 6] = quantise_gripper(a[6])
    return out


def success_reply(result: NDArray[np.float64], bbox: NDArray[np.float64], grasp_xyz_rpy: NDArray[np.float64],
                  env_id: Any = 0, latency_ms: float | None = None) -> dict[str, Any]:
    """The original reply layout: ``result`` as a list of (7,) arrays."""
    g = np.asarray(grasp_xyz_rpy, dtype=np.float64).reshape(6)
    debug: dict[str, Any] = {"pose": (g[:3].copy(), g[3:].copy()), "bbox": np.asarray(bbox, dtype=np.float64).reshape(2, 4)}
    if latency_ms is not None:
        debug["latency_ms"] = float(latency_ms)
    return {"info": "success", "env_id": env_id, "result": [np.asarray(r, dtype=np.float64) for r in result], "debug": debug}


def error_reply(message: str) -> dict[str, Any]:
    return {"info": "error", "error": message}
